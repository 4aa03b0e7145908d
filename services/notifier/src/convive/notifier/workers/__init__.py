"""The notifier's background work, in each of its processes: the live hub that wakes the open
streams when their feed has news (`feed_hub`), and the e-mail sender (`mail_sender`)."""
