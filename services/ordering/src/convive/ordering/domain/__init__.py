"""The ordering domain, free of I/O: a venue's menu (`menu`) and a table session's shared cart
with the order its confirmations build (`table_order`)."""
