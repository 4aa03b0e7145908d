"""The notifier's HTTP API, one module per audience: the guests' session streams (`guest`), the
POS devices' venue streams (`pos`), the back office's list of e-mails (`staff`); `sse` is the
stream of one feed that the first two share."""
