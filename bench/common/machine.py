"""The machine a figure comes from: its load, and the event loop the server runs on."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any


def load_average() -> str:
    """The machine is shared: the load next to a figure says how much of it we had."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_on_server_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """On uvloop, as `mathrally serve` runs (where it is installed: not on Windows)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)
