"""The contract's error body, {"error": {"code", "message"}}, for every HTTP failure."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from persistence.read_routing import ReadsBusy

# A report refused because its connections were all busy: asked again after this long.
READS_BUSY_RETRY_AFTER_S = 2

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raised by handlers for an expected failure; the middleware turns it into the error body."""

    def __init__(self, status: int, code: str, message: str, *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        if status == 429 and "Retry-After" not in (headers or {}):
            # Every refusal for going too fast says when to come back (RFC 9110 §10.2.3).
            raise ValueError(f"a 429 ({code}) needs a Retry-After header")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ApiError and aiohttp's HTTP exceptions (404, 405, 413, …) into the error body."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    except ReadsBusy as exc:
        # Expected under a storm of reports (their pool is bounded so the live game keeps its
        # connections): one line, and the client comes back later.
        log.warning("%s %s refused: every report connection busy (%s)", request.method, request.path, exc)
        return error_response(503, "busy", "the server is busy with other reports; try again shortly",
                              {"Retry-After": str(READS_BUSY_RETRY_AFTER_S)})
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
