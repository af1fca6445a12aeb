"""Rejoin tokens: the player and room ids, signed with HMAC-SHA256 under SECRET_KEY.

Nothing is stored: any worker, and the server after a restart, can check a token. A kicked
player's token still verifies but the room refuses it (the kick is recorded in PostgreSQL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

_CONTEXT = b"mathrally-rejoin-v1:"


def _sign(secret_key: str, body: bytes) -> bytes:
    return hmac.new(secret_key.encode(), _CONTEXT + body, hashlib.sha256).digest()[:16]


def make_rejoin_token(secret_key: str, room_id: uuid.UUID, player_id: uuid.UUID) -> str:
    body = room_id.bytes + player_id.bytes
    return base64.urlsafe_b64encode(body + _sign(secret_key, body)).decode().rstrip("=")


def read_rejoin_token(secret_key: str, token: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(room_id, player_id), or None if the token is malformed or not ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    if len(raw) != 48:
        return None
    body, signature = raw[:32], raw[32:]
    if not hmac.compare_digest(signature, _sign(secret_key, body)):
        return None
    return uuid.UUID(bytes=body[:16]), uuid.UUID(bytes=body[16:])
