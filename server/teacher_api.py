"""Every teacher-facing HTTP route: accounts, class rosters, rooms and their reports."""

from __future__ import annotations

from aiohttp import web

from server.api_accounts import setup_account_routes
from server.api_classes import setup_class_routes
from server.api_reports import setup_report_routes
from server.api_rooms import setup_room_routes


def setup_teacher_api(app: web.Application) -> None:
    setup_account_routes(app)
    setup_class_routes(app)
    setup_room_routes(app)
    setup_report_routes(app)
