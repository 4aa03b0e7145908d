"""What table-session keeps of events, one module per source: `own` (its own events: venues,
profit centres, spots, sessions) and `ordering` (the sessions whose order was confirmed). Which
projection listens to which topic is in `subscriptions`; the reads are in `queries`."""
