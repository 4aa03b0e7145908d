"""The pos-gateway service boots against real Kafka and PostgreSQL and reports itself ready."""

import pytest

from convive.pos_gateway.app import create_app
from convive.pos_gateway.settings import Settings
from convive.runtime.testkit import check_service_boots

pytestmark = pytest.mark.infra


async def test_the_service_boots_and_is_ready(service_settings: dict[str, str]) -> None:
    await check_service_boots(create_app(Settings(**service_settings)))  # type: ignore[arg-type]
