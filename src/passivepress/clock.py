"""Now, as a build sees it: the clock, unless SOURCE_DATE_EPOCH pins it (as
reproducible-build tooling expects). Decides which essays are still in the future."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any


def now_epoch() -> float:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return float(epoch) if epoch.isdigit() else time.time()


def build_time(tz: Any) -> datetime:
    return datetime.fromtimestamp(now_epoch(), tz=UTC).astimezone(tz)
