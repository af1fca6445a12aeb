"""The contract's error body, {"error": {"code", "message"}}, for every HTTP failure."""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raised by handlers for an expected failure; the middleware turns it into the error body."""

    def __init__(self, status: int, code: str, message: str, *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler):
    """Turn ApiError and aiohttp's HTTP exceptions (404, 405, 413, …) into the error body."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return error_response(exc.status, code, exc.reason)
    except Exception:
        # A bug or an outage (database down): logged with its traceback, answered in the
        # contract's shape without internals.
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on the server")
