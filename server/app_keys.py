"""Every typed key of what the application holds (aiohttp's web.AppKey), in one place.

The modules whose types these are import nothing of the app's wiring, so this module sits
below every handler and cleanup context that reads the keys, with no import cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import socketio
from aiohttp import web
from redis.asyncio import Redis

from persistence.curriculum.after_commit import ProgressRefresher
from persistence.curriculum.cache import LearningCache
from persistence.database import Database
from persistence.group_commit import GroupCommitWriter
from persistence.read_routing import ReadRouting
from server.failure_limits import FailureLimits
from server.live.services import LiveServices
from server.metrics import Metrics
from server.passwords import Passwords
from server.readiness import Readiness
from server.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
DATABASE_URL = web.AppKey("database_url", str)
DATABASE = web.AppKey("database", Database)
# Reads a replica may serve (reports, grids, exports, statistics); nothing that decides.
READS = web.AppKey("reads", ReadRouting)
REDIS = web.AppKey("redis", Redis)
ANSWER_WRITER = web.AppKey("answer_writer", GroupCommitWriter)
METRICS = web.AppKey("metrics", Metrics)
READINESS = web.AppKey("readiness", Readiness)
FAILURE_LIMITS = web.AppKey("failure_limits", FailureLimits)
PASSWORDS = web.AppKey("passwords", Passwords)
# The learning side's clock (naive UTC now); tests swap it to move days forward.
CLOCK = web.AppKey[Callable[[], dt.datetime]]("clock")
LEARNING_CACHE = web.AppKey("learning_cache", LearningCache)
PROGRESS_REFRESHER = web.AppKey("progress_refresher", ProgressRefresher)
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)
LIVE = web.AppKey("live", LiveServices)
