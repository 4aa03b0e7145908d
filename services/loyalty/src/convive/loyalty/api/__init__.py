"""The loyalty service's HTTP API, one module per audience (none yet: issue 11 builds it)."""

from collections.abc import Sequence
from typing import Any

ROUTE_HANDLERS: Sequence[Any] = ()
