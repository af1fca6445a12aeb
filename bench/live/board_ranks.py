"""What reading every player's rank at a question's close costs, two ways, same board.

    python -m bench.live.board_ranks [--sizes 30 2000 5000] [--rounds 7]

At each close the live game sends every student their own rank, so it asks the room board for
all of them. `Leaderboards.top_and_ranks` does that with one ZREVRANGE of the whole board
("whole-board", ranks by position) once more than `RANKS_ONE_BY_ONE_MAX` ranks are asked,
and with one ZREVRANK per player in a pipeline below that ("one-by-one"). Both are timed
here on the same board: wall time and this process's CPU time (redis-py's packing and
parsing), medians of `--rounds`. Redis is the local server (BENCH_REDIS_URL, else
redis://127.0.0.1:6379/0), keys under a unique prefix deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

from redis.asyncio import Redis

from persistence.redis_client import delete_prefix
from rooms import leaderboard
from rooms.leaderboard import Leaderboards

MODES = {"one-by-one": 10**9, "whole-board": leaderboard.RANKS_ONE_BY_ONE_MAX}


async def time_mode(boards: Leaderboards, room: uuid.UUID, seats, limit: int, rounds: int):
    leaderboard.RANKS_ONE_BY_ONE_MAX = limit
    walls, cpus = [], []
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        await boards.top_and_ranks(room, seats)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


async def main(sizes: list[int], rounds: int) -> None:
    redis = Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    prefix = f"bench_ranks_{uuid.uuid4().hex[:8]}"
    boards = Leaderboards(redis, prefix)
    default = leaderboard.RANKS_ONE_BY_ONE_MAX
    try:
        for size in sizes:
            room = uuid.uuid4()
            seats = [(uuid.uuid4(), order) for order in range(1, size + 1)]
            for player_id, order in seats:
                await boards.add_player(room, player_id, order)
            figures = {mode: await time_mode(boards, room, seats, limit, rounds)
                       for mode, limit in MODES.items()}
            line = "  ".join(f"{mode}: {wall:7.2f} ms wall, {cpu:7.2f} ms CPU"
                             for mode, (wall, cpu) in figures.items())
            print(f"{size:6d} players  {line}")
    finally:
        leaderboard.RANKS_ONE_BY_ONE_MAX = default
        await delete_prefix(redis, prefix)
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.live.board_ranks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 2000, 5000])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.rounds))
