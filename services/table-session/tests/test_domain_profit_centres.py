"""A venue's profit centres without I/O: given a profit centre's events, when it is configured,
then these events or this error."""

from __future__ import annotations

import pytest

from convive.contracts.table_session import JourneyMode, ProfitCentreConfigured
from convive.runtime.domain import Conflict
from convive.table_session.domain import profit_centres

VENUE = "venue-1"
PC = "pc-dining"

DINING = ProfitCentreConfigured(
    venue_id=VENUE, profit_centre_id=PC, name="Dining room", mode=JourneyMode.ORDER
)


def configure(
    name: str = "Dining room", mode: JourneyMode = JourneyMode.ORDER, venue: str = VENUE
) -> profit_centres.ConfigureProfitCentre:
    return profit_centres.ConfigureProfitCentre(venue, PC, name, mode)


def test_a_new_profit_centre_is_configured() -> None:
    assert profit_centres.decide_configure_profit_centre(None, configure()) == [DINING]


def test_changing_a_profit_centres_mode_configures_it_again_and_the_same_settings_do_nothing() -> (
    None
):
    state = profit_centres.fold([DINING])
    changed = profit_centres.decide_configure_profit_centre(state, configure(mode=JourneyMode.PAY))
    assert changed == [DINING.model_copy(update={"mode": JourneyMode.PAY})]
    assert profit_centres.decide_configure_profit_centre(state, configure()) == []


def test_a_profit_centre_id_of_another_venue_is_refused() -> None:
    state = profit_centres.fold([DINING])
    with pytest.raises(Conflict) as refused:
        profit_centres.decide_configure_profit_centre(state, configure(venue="venue-2"))
    assert refused.value.field == "profit_centre_id"
