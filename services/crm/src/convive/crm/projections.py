"""Read models the crm service keeps from events (its own and other services')."""

from collections.abc import Sequence

from convive.runtime.db import metadata as new_metadata
from convive.runtime.projections import Projection

metadata = new_metadata()

PROJECTIONS: Sequence[Projection] = ()
