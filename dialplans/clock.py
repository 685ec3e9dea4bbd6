"""The clock type every room shares: a callable returning a timezone-aware "now"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
