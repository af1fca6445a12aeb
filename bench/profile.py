"""Sample the server under test with py-spy (`--profile DIR`) and summarise where its time goes.

py-spy writes collapsed stacks ("frame;frame;frame count" per line); the summary lists the
frames with the most samples on top of the stack (self) and anywhere in it (total).
"""

from __future__ import annotations

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


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" → "function (module.py:123)"
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1]}" if where else name


if __name__ == "__main__":
    import sys

    for path in sys.argv[1:]:
        print(summarise(Path(path)))
