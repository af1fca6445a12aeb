"""The contract's error body, {"error": {"code", "message"}}, for every HTTP failure."""

from __future__ import annotations

from aiohttp import web


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def json_errors(request: web.Request, handler):
    """Turn aiohttp's HTTP exceptions (404, 405, 413, …) into the contract's error body."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return error_response(exc.status, code, exc.reason)
