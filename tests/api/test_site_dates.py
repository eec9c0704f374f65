""" "Today" is the site's date (INVENTORY_TIMEZONE), not UTC's: at 23:30 in Chicago the UTC date
is already tomorrow, and a lot expiring today must still be usable until local midnight."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient

from inventory_svc.app import create_app
from inventory_svc.config import ConfigError, Settings, site_zone
from inventory_svc.domain.clock import SiteClock
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, gs1, make_item, make_location, scan

CHICAGO = ZoneInfo("America/Chicago")
EXPIRY = date(2026, 12, 15)
LATE_EVENING = datetime(2026, 12, 15, 23, 30, tzinfo=CHICAGO)  # 05:30 UTC on the 16th


@dataclass(frozen=True, slots=True)
class FrozenClock(SiteClock):
    """The site's clock stopped at `at[0]`; a test moves it by assigning `at[0]`."""

    at: list[datetime] = field(default_factory=lambda: [LATE_EVENING])

    def now(self) -> datetime:
        return self.at[0].astimezone(UTC)


def test_late_evening_west_of_utc_is_still_today() -> None:
    clock = FrozenClock(CHICAGO)
    assert clock.now().date() == date(2026, 12, 16)
    assert clock.today() == EXPIRY
    assert FrozenClock(UTC).today() == date(2026, 12, 16)
    assert SiteClock(CHICAGO).today(LATE_EVENING) == EXPIRY


def test_an_unknown_zone_is_a_clear_configuration_error() -> None:
    with pytest.raises(ConfigError, match="America/Chicag"):
        site_zone("America/Chicag")
    with pytest.raises(ConfigError):
        create_app(Settings(timezone="Mars/Olympus_Mons"))
    assert site_zone("Asia/Kolkata").utcoffset(LATE_EVENING.replace(tzinfo=None)) == timedelta(
        hours=5, minutes=30
    )


@asynccontextmanager
async def _client_at(settings: Settings, clock: FrozenClock) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(settings)
    app.state.clock = clock
    async with AsyncTestClient(app=app, timeout=60) as client:
        yield client


@pytest.fixture
def chicago_clock() -> FrozenClock:
    return FrozenClock(CHICAGO)


@pytest.fixture
async def chicago_client(
    settings: Settings, chicago_clock: FrozenClock
) -> AsyncIterator[AsyncTestClient[Any]]:
    chicago = Settings(database_url=settings.database_url, timezone="America/Chicago")
    async with _client_at(chicago, chicago_clock) as client:
        yield client


async def test_a_lot_expiring_today_is_usable_until_local_midnight(
    chicago_client: AsyncTestClient[Any], chicago_clock: FrozenClock, keys: Keys
) -> None:
    client = chicago_client
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "SAT-ICU", "satellite")
    code = gs1(EPINEPHRINE_GTIN, lot="TZ1", expiry=EXPIRY)
    received = await scan(client, admin, code, "receive", "SAT-ICU", quantity=3)
    assert received.status_code == 201, received.text
    assert [w["code"] for w in received.json()["warnings"]] == ["expiring_soon"]
    assert (await scan(client, admin, code, "issue", "SAT-ICU")).status_code == 201
    stock = (
        await client.get("/api/v1/stock", params={"location": "SAT-ICU"}, headers=admin)
    ).json()
    assert [(row["quantity"], row["status"]) for row in stock] == [(2, "expiring")]

    chicago_clock.at[0] = LATE_EVENING + timedelta(hours=1)
    refused = await scan(client, admin, code, "issue", "SAT-ICU")
    assert refused.status_code == 422
    assert refused.json()["code"] == "expired_lot"
    stock = (
        await client.get("/api/v1/stock", params={"location": "SAT-ICU"}, headers=admin)
    ).json()
    assert [(row["quantity"], row["status"]) for row in stock] == [(2, "expired")]


async def test_the_same_moment_in_utc_is_already_tomorrow(settings: Settings, keys: Keys) -> None:
    """The control: a UTC site refuses the same lot at the same instant."""
    async with _client_at(settings, FrozenClock(UTC)) as client:
        admin = await keys.header()
        await make_item(client, admin)
        await make_location(client, admin, "SAT-ICU", "satellite")
        code = gs1(EPINEPHRINE_GTIN, lot="TZ1", expiry=EXPIRY)
        refused = await scan(client, admin, code, "receive", "SAT-ICU")
        assert refused.status_code == 422
        assert refused.json()["code"] == "expired_lot"
