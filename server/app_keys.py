"""Typed keys for what the application holds (aiohttp's web.AppKey)."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from persistence.database import Database
from persistence.group_commit import GroupCommitWriter
from server.metrics import Metrics
from server.readiness import Readiness
from server.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
DATABASE_URL = web.AppKey("database_url", str)
DATABASE = web.AppKey("database", Database)
REDIS = web.AppKey("redis", Redis)
ANSWER_WRITER = web.AppKey("answer_writer", GroupCommitWriter)
METRICS = web.AppKey("metrics", Metrics)
READINESS = web.AppKey("readiness", Readiness)
# The curriculum's clock (naive UTC now); tests swap it to move days forward.
CLOCK = web.AppKey("clock", object)
LEARNING_CACHE = web.AppKey("learning_cache", object)
PROGRESS_REFRESHER = web.AppKey("progress_refresher", object)
