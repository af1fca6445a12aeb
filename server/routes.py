"""Every HTTP route of the application, registered in one place (`create_app`): each module
that answers HTTP lists its routes as ROUTES, and only this module collects them."""

from __future__ import annotations

from aiohttp import web

from server import (
    api_accounts,
    api_boards,
    api_classes,
    api_controls,
    api_health,
    api_learning,
    api_preferences,
    api_reports,
    api_rooms,
    api_tracks,
    pages,
)


def http_routes() -> list[web.RouteDef]:
    return [*api_accounts.ROUTES, *api_classes.ROUTES, *api_controls.ROUTES, *api_boards.ROUTES,
            *api_rooms.ROUTES, *api_reports.ROUTES, *api_tracks.ROUTES, *api_preferences.ROUTES,
            *api_learning.ROUTES,
            *api_health.ROUTES, *pages.ROUTES]
