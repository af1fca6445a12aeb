"""JSON request bodies, validated into pydantic models; every failure is 400 invalid_payload."""

from __future__ import annotations

import uuid
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from server.errors import ApiError


class Body(BaseModel):
    """Base of every request body: unknown fields are refused, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


BodyT = TypeVar("BodyT", bound=Body)


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return "the body is not valid JSON"
    if first["type"] == "value_error" and not first["loc"]:  # a rule across fields (model_validator)
        return first["msg"].removeprefix("Value error, ")
    if first["type"] == "model_type" or not first["loc"]:
        return "the body must be a JSON object"
    field = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{field}: unknown field"
    return f"{field}: {first['msg']}"


async def read_body(request: web.Request, model: type[BodyT]) -> BodyT:
    # request.read() enforces the app's client_max_size (413 through the error middleware).
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "invalid_payload", "the body must be a JSON object")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise ApiError(400, "invalid_payload", _describe(exc)) from None


def path_uuid(request: web.Request, name: str, what: str) -> uuid.UUID:
    """An id from the URL path; anything that is not a UUID names nothing, so 404."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise ApiError(404, "not_found", f"no such {what}") from None
