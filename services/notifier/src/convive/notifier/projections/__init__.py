"""The notifier's read models, one module per service whose facts they keep, written by the
handlers that `convive.notifier.subscriptions` lists:

- `table_session`: sessions and their guests (who may follow a session's feed), venues'
  settings (where and in which language the property is told, the venue's time zone);
- `pos_gateway`: POS devices and their credentials' digests (who may follow a venue's feed);
- `ordering`: offer orders, and the e-mails they cause, planned as rows of `outgoing_mails`;
- `feeds`: every relayed event written to the feeds it concerns (all three services feed them);
- `own`: the notifier's own record of each try (NotificationSent/Failed) settles an e-mail;
- `announcements`: the NOTIFY that wakes the live hub and the e-mail sender after a commit.
"""
