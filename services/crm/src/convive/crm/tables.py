"""Every table of the crm service (the event store's are the runtime's), in one metadata that
the migrations' environment imports."""

from convive.runtime.db import metadata as new_metadata

metadata = new_metadata()
