"""The ordering domain, free of I/O: a venue's menu (`menu`), a table session's shared cart with
the order its confirmations build (`table_order`), the concierge offers a hotel sells
(`offers`) and the guests' orders of them (`offer_orders`); `facts` holds what ordering learnt
from other services' events and hands to these decisions."""
