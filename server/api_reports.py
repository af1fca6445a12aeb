"""GET /api/rooms/{room_id}/report: JSON, or `?format=csv[&part=students|questions|attempts|teams]`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from aiohttp import web

from persistence.room_reports import room_report
from server import app_keys
from server.api_rooms import owned_room
from server.errors import ApiError
from server.report_formats import CSV_PARTS, report_csv, report_json


async def show_report(request: web.Request) -> web.Response:
    room = await owned_room(request)
    fmt = request.query.get("format", "json")
    part = request.query.get("part")
    if fmt not in ("json", "csv"):
        raise ApiError(400, "invalid_payload", "format: one of json, csv")
    if part is not None and (fmt != "csv" or part not in CSV_PARTS):
        raise ApiError(400, "invalid_payload", f"part: one of {', '.join(CSV_PARTS)} (CSV)")
    # Read-your-writes: a teacher who just ended the game sees all of it, from the replica once
    # it has replayed that far, else from the primary (persistence/read_routing.py).
    report = await request.app[app_keys.READS].fresh(lambda db: room_report(db, room.id))
    # Rendering a big room's report takes a while; in a thread, the event loop (and every
    # live game on this worker) keeps running between the thread's GIL slices.
    body = await asyncio.to_thread(report_json, room, report)
    if fmt == "json":
        return web.Response(text=await asyncio.to_thread(json.dumps, body),
                            content_type="application/json", headers={"Cache-Control": "no-store"})
    day = (room.started_at or room.created_at).replace(tzinfo=dt.UTC).date().isoformat()
    filename = f"mathrally-{room.code}-{day}-{part or 'report'}.csv"
    return web.Response(
        text=await asyncio.to_thread(report_csv, body, part), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"})


ROUTES = [
    web.get("/api/rooms/{room_id}/report", show_report),
]
