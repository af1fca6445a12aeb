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


def cpu_ns(pid: int) -> int:
    """Time one process (a PostgreSQL backend) has run on a CPU, in nanoseconds: finer than
    cpu_seconds' clock ticks, for costs of a few microseconds."""
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0])


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def cpu_by_pid_matching(needle: str) -> dict[int, float]:
    """utime + stime of every live process whose command line contains `needle`, by pid.

    PostgreSQL backends carry their database name in their title, so the run's own database
    name picks out exactly the backends serving the server under test.
    """
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if needle in cmdline:
                fields = _stat_fields(int(entry.name))
                found[int(entry.name)] = (int(fields[13]) + int(fields[14])) / _TICKS
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def cpu_of_process_and_children(pid: int) -> dict[int, float]:
    """utime + stime of a process and of each of its live children, by pid: a PostgreSQL
    cluster's postmaster and everything it runs (backends, WAL sender or receiver, startup
    process), which tells a primary's CPU from its standby's on one machine."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(int(entry.name))
            if int(entry.name) == pid or int(fields[3]) == pid:
                found[int(entry.name)] = (int(fields[13]) + int(fields[14])) / _TICKS
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two snapshots by the processes alive at the second one.

    A backend that exits in between is missed, so this is a lower bound (pooled backends live
    for the whole run, so in practice it is the figure).
    """
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat split into fields; field 1 (comm) may hold spaces, so split around it."""
    with open(f"/proc/{pid}/stat") as stat:
        raw = stat.read()
    start, end = raw.index("("), raw.rindex(")")
    return [raw[:start].strip(), raw[start + 1:end], *raw[end + 2:].split()]
