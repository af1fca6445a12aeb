"""Separate hosts on one machine: a network namespace per host, each with one veth link to a
switch (a bridge in a namespace of its own), and one more link from the test's own namespace to
that switch so the test can reach the hosts as a client would. A host has its own loopback, its
own ports and its own address; a link can be cut (the switch's end set down: the host keeps its
address and its sockets, nothing reaches it or leaves it, as when a cable or a switch port
fails) and restored.

Addresses come from 198.18.0.0/15, the range set aside for testing network devices (RFC 2544):
never a real network's, and not routed anywhere from the hosts (they have no default route).
Everything is made by the test and removed again, processes first, even when the test fails;
namespaces that a killed test run left behind are removed at the next one.

Needs root and iproute2's `ip`; `why_unavailable()` says, measured, why namespaces cannot be
made where they cannot.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

PREFIX = "mrnet"
TEST_RANGE = ipaddress.ip_network("198.18.0.0/15")


def ip(*args: str, check: bool = True) -> str:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip() or result.returncode}")
    return result.stdout


def why_unavailable() -> str | None:
    """None when this machine can make namespaces and veth links; else what failed, as said by
    the command that failed."""
    if os.geteuid() != 0:
        return f"network namespaces need root (uid {os.geteuid()})"
    try:
        subprocess.run(["ip", "-V"], capture_output=True, check=True, timeout=10)
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"iproute2's `ip` is not usable: {exc}"
    probe = f"{PREFIX}probe{os.getpid()}"
    try:
        ip("netns", "add", probe)
        ip("link", "add", "name", "eth0", "netns", probe, "type", "veth", "peer", "name", "eth1",
           "netns", probe)
    except RuntimeError as exc:
        return str(exc)
    finally:
        ip("netns", "del", probe, check=False)
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_processes_in(namespace: str) -> None:
    pids = [int(p) for p in ip("netns", "pids", namespace, check=False).split()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if _pid_alive(p)]
        time.sleep(0.05)


def remove_leftovers() -> list[str]:
    """Namespaces of earlier runs whose test process is gone (killed before it cleaned up)."""
    removed = []
    for line in ip("netns", "list", check=False).splitlines():
        name = line.split()[0] if line.strip() else ""
        found = re.match(rf"^{PREFIX}(\d+)-", name)
        if found and not _pid_alive(int(found.group(1))):
            _kill_processes_in(name)
            ip("netns", "del", name, check=False)
            removed.append(name)
    return removed


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 of the test range that no route of this namespace covers (another run's)."""
    routed = [ipaddress.ip_network(line.split()[0], strict=False)
              for line in ip("-4", "route", "show", "table", "all").splitlines()
              if line and line.split()[0][0].isdigit()]
    candidates = list(TEST_RANGE.subnets(new_prefix=24))
    start = os.getpid() % len(candidates)
    for subnet in candidates[start:] + candidates[:start]:
        if not any(subnet.overlaps(r) for r in routed):
            return subnet  # type: ignore[return-value]
    raise RuntimeError("every /24 of 198.18.0.0/15 is routed here already")


@dataclass
class Network:
    subnet: ipaddress.IPv4Network
    switch: str                      # the namespace holding the bridge
    tester_link: str                 # the test's own end of its link, in the test's namespace
    namespaces: dict[str, str] = field(default_factory=dict)  # host → namespace
    addresses: dict[str, str] = field(default_factory=dict)   # host → address

    @property
    def tester_address(self) -> str:
        return str(self.subnet.network_address + 1)

    def exec_prefix(self, host: str) -> list[str]:
        """Prefix a command with this to run it on `host`."""
        return ["ip", "netns", "exec", self.namespaces[host]]

    def cut(self, host: str) -> float:
        """Nothing reaches `host` or leaves it from now on; the moment (monotonic)."""
        ip("-n", self.switch, "link", "set", host, "down")
        return time.monotonic()

    def restore(self, host: str) -> float:
        """`host`'s link whole again; the moment (monotonic)."""
        ip("-n", self.switch, "link", "set", host, "up")
        return time.monotonic()


def _add_host(network: Network, host: str, namespace: str, number: int) -> None:
    ip("netns", "add", namespace)
    network.namespaces[host] = namespace
    ip("-n", namespace, "link", "set", "lo", "up")
    ip("link", "add", "name", "eth0", "netns", namespace, "type", "veth", "peer", "name", host,
       "netns", network.switch)
    address = str(network.subnet.network_address + number)
    ip("-n", namespace, "addr", "add", f"{address}/{network.subnet.prefixlen}", "dev", "eth0")
    ip("-n", namespace, "link", "set", "eth0", "up")
    ip("-n", network.switch, "link", "set", host, "master", "br0", "up")
    network.addresses[host] = address


@contextlib.contextmanager
def virtual_network(hosts: list[str]) -> Iterator[Network]:
    """One namespace per host on one switch, and a link from here; all removed on the way out."""
    for host in hosts:
        assert re.fullmatch(r"[a-z][a-z0-9]{0,9}", host), host
    remove_leftovers()
    run = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:4]}"
    tester_link = f"mr{os.getpid() % 10**8}t"
    network = Network(_free_subnet(), f"{run}-switch", tester_link)
    try:
        ip("netns", "add", network.switch)
        ip("-n", network.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", network.switch, "link", "set", "br0", "up")
        ip("link", "add", "name", tester_link, "type", "veth", "peer", "name", "tester",
           "netns", network.switch)
        ip("-n", network.switch, "link", "set", "tester", "master", "br0", "up")
        ip("addr", "add", f"{network.tester_address}/{network.subnet.prefixlen}", "dev", tester_link)
        ip("link", "set", tester_link, "up")
        for number, host in enumerate(hosts, start=11):
            _add_host(network, host, f"{run}-{host}", number)
        yield network
    finally:
        for namespace in network.namespaces.values():
            _kill_processes_in(namespace)
            ip("netns", "del", namespace, check=False)
        # The test's end of its link goes with its peer, in the switch's namespace.
        ip("netns", "del", network.switch, check=False)
        ip("link", "del", tester_link, check=False)
