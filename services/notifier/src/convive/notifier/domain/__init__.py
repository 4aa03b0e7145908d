"""The notifier's rules, free of I/O (an import-linter contract keeps them so):

- `feeds`: which events reach which live feed and what they never show, the SSE message of a
  feed entry, and what a NOTIFY says to the live hub;
- `streams`: how a stream request is read (a device's credential, where to resume);
- `emails`: which e-mails an offer event causes and to whom, a notification's id, when a failed
  try is tried again, and the message put on the wire.
"""
