"""The site's calendar: "today" for expiry, expiring-soon and usage is the pharmacy's date.

Timestamps stay UTC everywhere; only the date a person would read off the wall clock is
local. At 8 pm in a US pharmacy the UTC date is already tomorrow, and a lot expiring today
must still be usable until local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo


@dataclass(frozen=True, slots=True)
class SiteClock:
    zone: tzinfo = UTC

    def now(self) -> datetime:
        """The current instant, in UTC."""
        return datetime.now(UTC)

    def today(self, at: datetime | None = None) -> date:
        """The site's date at `at` (default: now)."""
        return (at or self.now()).astimezone(self.zone).date()
