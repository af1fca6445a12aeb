"""The shipped deploy/haproxy/haproxy.cfg, run for real in front of test workers.

Only what must differ on a test machine is changed: the listening ports, the workers'
addresses, a throw-away self-signed certificate, and the global user/group/chroot lines
(a test need not be root). Everything else (header rules, stickiness, health checks,
timeouts) is the file as shipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.workers import ROOT, free_port, wait_for_port

SHIPPED = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
SHIPPED_SERVERS = ("127.0.0.1:8081", "127.0.0.1:8082")


@dataclass
class Proxy:
    https_url: str
    http_url: str
    config: str
    log: Path
    certificate: Path  # the throw-away certificate it serves (what a client trusts)


def haproxy_binary() -> str:
    for candidate in (shutil.which("haproxy"), "/usr/sbin/haproxy"):
        if candidate and Path(candidate).exists():
            return candidate
    raise AssertionError("haproxy is not installed: .ci/install-test-packages installs it")


def self_signed_certificate(folder: Path, address: str | None = None) -> Path:
    """For localhost, or (`address`) for that IP address, which a client can then verify."""
    key, cert, both = folder / "key.pem", folder / "cert.pem", folder / "mathrally.pem"
    names = ["-subj", "/CN=localhost"] if address is None else \
        ["-subj", f"/CN={address}", "-addext", f"subjectAltName=IP:{address}"]
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    *names, "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    both.write_text(cert.read_text() + key.read_text())
    return both


def config_for_test(workers: list[str], http_port: int, https_port: int, certificate: Path,
                    bind_host: str = "127.0.0.1") -> str:
    """The shipped file with this machine's ports, workers and certificate."""
    text = SHIPPED.read_text()
    assert len(workers) == len(SHIPPED_SERVERS), "the shipped file names two workers"
    for shipped, worker in zip(SHIPPED_SERVERS, workers, strict=True):
        assert text.count(shipped) == 1
        text = text.replace(shipped, worker)
    replacements = [(r"(?m)^    bind :80$", f"    bind {bind_host}:{http_port}"),
                    (r"(?m)^    bind :443 ", f"    bind {bind_host}:{https_port} "),
                    (r"/etc/haproxy/certs/mathrally\.pem", str(certificate)),
                    (r"(?m)^    (user|group|chroot) .*\n", "")]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count >= 1, f"the shipped haproxy.cfg no longer has {pattern!r}"
    return text


@contextlib.asynccontextmanager
async def running_haproxy(workers: list[str], *, host: str | None = None,
                          exec_prefix: list[str] | None = None) -> AsyncIterator[Proxy]:
    """haproxy in front of `workers` ("127.0.0.1:PORT"), serving https on a free port; with
    `exec_prefix` it runs elsewhere (another host's network namespace), listening on `host` with
    a certificate for that address."""
    folder = Path(tempfile.mkdtemp(prefix="mathrally-haproxy-"))
    http_port, https_port = free_port(), free_port()
    certificate = self_signed_certificate(folder, host)
    config = config_for_test(workers, http_port, https_port, certificate, host or "127.0.0.1")
    (folder / "haproxy.cfg").write_text(config)
    log = folder / "haproxy.log"
    check = await asyncio.create_subprocess_exec(
        haproxy_binary(), "-c", "-f", str(folder / "haproxy.cfg"), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    output, _ = await check.communicate()
    assert check.returncode == 0, output.decode()
    with log.open("w") as out:
        proc = await asyncio.create_subprocess_exec(
            *(exec_prefix or []), haproxy_binary(), "-db", "-f", str(folder / "haproxy.cfg"), stdout=out,
            stderr=subprocess.STDOUT)
    try:
        try:
            await wait_for_port(https_port, host=host or "127.0.0.1")
        except AssertionError:
            raise AssertionError(f"haproxy did not start:\n{log.read_text()}") from None
        name = host or "localhost"
        yield Proxy(f"https://{name}:{https_port}", f"http://{name}:{http_port}", config, log,
                    certificate.parent / "cert.pem")
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
