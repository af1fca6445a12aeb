"""Sample the server under test with py-spy (`--profile DIR`) and summarise where its time goes.

py-spy writes collapsed stacks ("frame;frame;frame count" per line); the summary lists the
frames with the most samples on top of the stack (self) and anywhere in it (total), then
each sample's area: the first of AREAS whose frame is anywhere in its stack (a coroutine
resumed by the event loop shows only its own frames, so areas are told apart by the frames
of each kind of work, not by the root of the stack).

    python -m bench.storm.profile FILE...          # summaries
    python -m bench.storm.profile --areas FILE...  # areas only, one column per file
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
from collections import Counter
from pathlib import Path


async def start_py_spy(pid: int, output: Path, rate: int = 200) -> asyncio.subprocess.Process:
    exe = shutil.which("py-spy") or str(Path(__import__("sys").executable).parent / "py-spy")
    output.parent.mkdir(parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--nonblocking",
        "--output", str(output), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def stop_py_spy(process: asyncio.subprocess.Process) -> None:
    # py-spy writes its output when interrupted.
    if process.returncode is None:
        process.send_signal(2)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


def summarise(collapsed: Path, top: int = 25) -> str:
    self_samples: Counter[str] = Counter()
    total_samples: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        samples += count
        self_samples[_short(frames[-1])] += count
        for frame in set(map(_short, frames)):
            total_samples[frame] += count
    if not samples:
        return f"{collapsed}: no samples"
    lines = [f"{collapsed.name}: {samples} samples", "  self%  frame"]
    lines += [f"  {100 * n / samples:5.1f}  {frame}" for frame, n in self_samples.most_common(top)]
    lines += ["  total% frame"]
    lines += [f"  {100 * n / samples:5.1f}  {frame}" for frame, n in total_samples.most_common(top)]
    return "\n".join(lines)


# (area, frames that mark it), first match wins: what the server does for an answer or a
# join beyond what any Socket.IO server does (the transport areas at the end).
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("writer: commit a batch", ("GroupCommitWriter._flush", "GroupCommitWriter._collect",
                                "commit_batch")),
    ("writer: after-commit hooks", ("GroupCommitWriter._run_hook", "ProgressRefresher",
                                    "RoomRegistry.on_committed")),
    ("answer: submit (writer queue)", ("GroupCommitWriter.submit", "LiveAnswerWriter.submit")),
    ("answer: room and handler", ("on_answer", "SubmitAnswer", "LiveGame.answer", "accept_answer")),
    ("join: handler", ("PlayNamespace.on_connect", "PlayNamespace._welcome", "join_gate",
                       "JoinGate", "Join.run", "join_game", "LiveGame._admit")),
    ("staff: connect and controls", ("HostNamespace", "ScreenNamespace")),
    ("disconnect", ("on_disconnect",)),
    ("delivery: record (question opened/closed)", ("mark_question_opened", "mark_question_closed",
                                                    "finish_game")),
    ("delivery: boards read", ("top_and_ranks",)),
    ("delivery: each player's copy", ("to_each_player",)),
    ("delivery: broadcasts", ("Emitter.to_staff", "Emitter.to_players", "RoomDelivery.send")),
    ("delivery: payloads and events", ("LiveGame._dispatch", "RoomDelivery")),
    ("room timers", ("Throttle", "Room._")),
    ("Socket.IO Redis manager: listen", ("AsyncPubSubManager._thread", "_redis_listen")),
    ("Socket.IO Redis manager: publish", ("_publish",)),
    ("event dispatch (namespace, session, guard)", ("trigger_event", "_handle_event",
                                                    "GuardedServer")),
    ("transport: send", ("_websocket_handler.<locals>.writer", "_send_packet", "_send_eio_packet",
                         "send_frame", "_write_websocket_frame", "WebSocket.send")),
    ("transport: receive", ("_websocket_handler", "AsyncSocket.receive", "_handle_eio_message",
                            "WebSocketResponse.receive", "WebSocket.wait")),
    ("transport: connect, upgrade", ("_handle_connect", "handle_get_request", "_upgrade_websocket")),
    ("cluster leases", ("_renew_leases", "RoomLeases")),
    ("PostgreSQL driver (unattributed)", ("asyncpg/", "sqlalchemy/")),
    ("Redis client (unattributed)", ("redis/",)),
]


def areas(collapsed: Path) -> dict[str, int]:
    """Samples per area (AREAS), "event loop and other" for the rest."""
    counts: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        counts[_area(stack)] += int(count_text)
    return dict(counts)


def _area(stack: str) -> str:
    for area, marks in AREAS:
        if any(mark in stack for mark in marks):
            return area
    return "event loop and other"


def areas_table(paths: list[Path]) -> str:
    """Share of samples per area, one column per file (e.g. before and after a change)."""
    counted = [areas(p) for p in paths]
    totals = [max(sum(c.values()), 1) for c in counted]
    names = [a for a, _ in AREAS] + ["event loop and other"]
    lines = [f"{'area':46}" + "".join(f"{p.stem[-24:]:>26}" for p in paths)]
    lines.append(f"{'samples':46}" + "".join(f"{t:>26,}" for t in totals))
    for name in names:
        if any(c.get(name) for c in counted):
            lines.append(f"{name:46}" + "".join(
                f"{100 * c.get(name, 0) / t:>25.1f}%" for c, t in zip(counted, totals, strict=True)))
    return "\n".join(lines)


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" → "function (module.py:123)"
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1]}" if where else name


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.storm.profile",
        description="Summarise py-spy's collapsed stacks of the server under test.")
    parser.add_argument("--areas", action="store_true",
                        help="the share of samples per area only, one column per file")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    if args.areas:
        print(areas_table(args.files))
        return
    for path in args.files:
        print(summarise(path))
        print(areas_table([path]))


if __name__ == "__main__":
    main()
