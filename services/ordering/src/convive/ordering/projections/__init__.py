"""The ordering service's read models, one module per source of the events they are made of:
`own` (ordering's own events, written by the event store in every append and rebuilt from
ordering's topic), `table_session` (sessions, guests, profit centres and spots) and
`pos_gateway` (the POS's amendments and rejections of rounds). Each module holds the writes and
reads of its tables (declared in `convive.ordering.tables`); the handlers that feed the other
services' facts are listed in `convive.ordering.subscriptions`."""
