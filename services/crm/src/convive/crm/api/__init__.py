"""The crm service's HTTP API, one module per audience (none yet: issue 12 builds it)."""

from collections.abc import Sequence
from typing import Any

ROUTE_HANDLERS: Sequence[Any] = ()
