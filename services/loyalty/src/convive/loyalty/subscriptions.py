"""Every subscription of the loyalty service, in one place: which events of which service it
listens to and what each does (none yet: issue 11 adds them)."""

from collections.abc import Sequence

from convive.runtime.projections import Projection

PROJECTIONS: Sequence[Projection] = ()
