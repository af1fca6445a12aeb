"""Who the client is: its address and scheme, from a trusted proxy's forwarded headers only.

With `TRUSTED_PROXIES` empty (the default) nothing is believed: the client is the TCP peer,
whatever headers it sends. When the TCP peer is one of the trusted proxies, the client is the
right-most address of the forwarded header that is not itself a trusted proxy, and the scheme
is the one that hop reported. A request from anyone else keeps its headers unread: a client
cannot forge its way around a per-address limit or into a Secure cookie.

Which header is read is a setting (`FORWARDED_HEADER`), never a guess: a proxy appends to the
header it writes and passes the other through untouched, so preferring whichever is present
would let a client forge the one its proxy does not write.
- `x-forwarded-for` (the default; HAProxy, Caddy, nginx): `X-Forwarded-For` and
  `X-Forwarded-Proto`, walked by aiohttp-remotes' `XForwardedFiltered`.
- `forwarded`: RFC 7239 `Forwarded`, as parsed by aiohttp (`request.forwarded`); each hop's
  element carries its `for` and `proto`.

The middleware clones the request with the client's `remote`, `scheme` and `host`, so
`request.remote`, `request.secure` and the request python-socketio puts in a connection's
environ all say the same thing.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_remotes import XForwardedFiltered
from aiohttp_remotes.exceptions import RemoteError

from server.errors import ApiError
from server.settings import FORWARDED, X_FORWARDED_FOR, IPNetwork

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _forwarded_node(value: str) -> str:
    """The address of an RFC 7239 node ("192.0.2.7", "192.0.2.7:4711", "[2001:db8::1]:80");
    an obfuscated or "unknown" node stays as written (still one client to the limits)."""
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


class TrustedProxies:
    def __init__(self, networks: tuple[IPNetwork, ...], header: str = X_FORWARDED_FOR) -> None:
        self._networks = networks
        self._header = header
        self._forwarded_for = XForwardedFiltered(set(networks))

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def trusts(self, request: web.Request) -> bool:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if not peer:  # a Unix socket, or a connection already gone
            return False
        return self._is_trusted(peer[0])

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.trusts(request):
            return await handler(request)
        if self._header == FORWARDED:
            return await handler(self._from_forwarded(request))
        try:  # the same parse the library's middleware does, so a bad header gets our error
            self._forwarded_for.get_forwarded_for(request.headers)
            self._forwarded_for.get_forwarded_proto(request.headers)
        except (web.HTTPBadRequest, RemoteError):
            log.warning("a trusted proxy sent a malformed or repeated X-Forwarded-For/-Proto header")
            raise ApiError(400, "invalid_forwarded_header",
                           "the proxy sent a malformed or repeated X-Forwarded-For header") from None
        return await self._forwarded_for.middleware(request, handler)

    def _from_forwarded(self, request: web.Request) -> web.Request:
        """The right-most `Forwarded` element whose `for` is not a trusted proxy."""
        try:
            elements = request.forwarded
        except ValueError:
            elements = ()
        if any(not element for element in elements):  # aiohttp's parser gives up on junk
            log.warning("a trusted proxy sent a malformed Forwarded header")
            raise ApiError(400, "invalid_forwarded_header",
                           "the proxy sent a malformed Forwarded header")
        for element in reversed(elements):
            node = _forwarded_node(element.get("for", ""))
            if node and not self._is_trusted(node):
                proto = element.get("proto")
                if proto in ("http", "https"):
                    return request.clone(remote=node, scheme=proto)
                return request.clone(remote=node)
        return request


def setup_client_address(app: web.Application, networks: tuple[IPNetwork, ...],
                         header: str = X_FORWARDED_FOR) -> None:
    """Innermost middleware, so a malformed forwarded header gets the JSON error body."""
    if networks:
        app.middlewares.append(TrustedProxies(networks, header).middleware)


def client_address(request: web.Request | None) -> str:
    return (request.remote if request is not None else None) or "unknown"
