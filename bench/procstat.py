"""CPU time and resident memory of a server process, read from /proc (Linux only)."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    fields = _stat_fields(pid)
    return (int(fields[13]) + int(fields[14])) / _TICKS


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def cpu_seconds_of_command(command_name: str) -> float:
    """utime + stime summed over every live process whose comm is `command_name` (e.g. postgres).

    Processes that exit between two readings drop out of the sum, so this is a lower bound,
    good enough for a pool of long-lived backends.
    """
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if fields[1] == command_name:
            total += (int(fields[13]) + int(fields[14])) / _TICKS
    return total


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat split into fields; field 1 (comm) may hold spaces, so split around it."""
    with open(f"/proc/{pid}/stat") as stat:
        raw = stat.read()
    start, end = raw.index("("), raw.rindex(")")
    return [raw[:start].strip(), raw[start + 1:end], *raw[end + 2:].split()]
