"""The browser pages: HTML from web/pages, modules and styles from web/static, the npm
libraries from web/vendor (built by web/scripts/vendor.mjs; no CDN), and the join QR code.

Every response carries a strict Content-Security-Policy (self only: no inline script or
style, no third-party origin) and `Referrer-Policy: no-referrer`, because the projector URL
holds the screen key and must not leak to anything the page links to.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import segno
from aiohttp import web
from aiohttp.typedefs import Handler

from server import app_keys
from server.errors import error_response

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

# HTML is revalidated every time (a deploy shows at once); modules and styles may be reused for
# a few minutes (thirty phones on a school network), then revalidated with their ETag.
HTML_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=300"

ASSET_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain",
}

# Page path → file in web/pages.
PAGES = {
    "/": "join.html",
    "/join": "join.html",
    "/play": "play.html",
    "/teacher": "teacher.html",
    "/cards": "cards.html",
    "/host/{room_id}": "host.html",
    "/report/{room_id}": "report.html",
    "/screen": "screen.html",
    "/grid": "grid.html",
    "/practice": "practice.html",
}

JOIN_CODE = re.compile(r"^[0-9]{6}$")

# What web/scripts/vendor.mjs builds; the pages cannot connect without it.
VENDOR_BUNDLE = WEB_DIR / "vendor" / "socketio.mjs"


def missing_browser_assets() -> str | None:
    """The path of the browser bundle when it is missing (never built, or left out of a package)."""
    return None if VENDOR_BUNDLE.is_file() else str(VENDOR_BUNDLE)


def _page_handler(filename: str) -> Handler:
    path = WEB_DIR / "pages" / filename

    async def serve_page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path, headers={
            **SECURITY_HEADERS, "Cache-Control": HTML_CACHE,
            "Content-Type": "text/html; charset=utf-8"})

    return serve_page


def _asset_handler(root: Path) -> Handler:
    root = root.resolve()

    async def serve_asset(request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"]
        candidate = (root / relative).resolve()
        content_type = ASSET_TYPES.get(candidate.suffix)
        if (content_type is None or not candidate.is_relative_to(root)
                or not candidate.is_file()):
            return error_response(404, "not_found", "No such file")
        return web.FileResponse(candidate, headers={
            **SECURITY_HEADERS, "Cache-Control": ASSET_CACHE, "Content-Type": content_type})

    return serve_asset


def public_base_url(request: web.Request) -> str:
    """The address students type: PUBLIC_URL when set, else what this request came in on."""
    settings = request.app[app_keys.SETTINGS]
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"{request.scheme}://{request.host}"


def join_url(request: web.Request, code: str) -> str:
    return f"{public_base_url(request)}/join?code={code}"


async def join_qr_svg(request: web.Request) -> web.Response:
    """The QR code of a room's join URL, drawn server-side (no CDN, no client library)."""
    code = request.query.get("code", "")
    if not JOIN_CODE.match(code):
        return error_response(400, "invalid_code", "code must be 6 digits")
    qr = segno.make(join_url(request, code), error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=8, border=2, xmldecl=False, dark="#000", light="#fff",
            title="QR code: scan to join the game")
    return web.Response(body=out.getvalue(), content_type="image/svg+xml", headers={
        **SECURITY_HEADERS, "Cache-Control": "private, max-age=3600"})


ROUTES = [
    *(web.get(route, _page_handler(filename)) for route, filename in PAGES.items()),
    web.get("/static/{path:.+}", _asset_handler(WEB_DIR / "static")),
    web.get("/vendor/{path:.+}", _asset_handler(WEB_DIR / "vendor")),
    web.get("/qr/join.svg", join_qr_svg),
]
