"""``openssl s_server`` on loopback standing in for a sipX TLS port (registrar sync, SIP over TLS)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from saltext_sipxha.core.pki.keys import generate_key, key_to_pem
from saltext_sipxha.core.pki.names import planned_names
from saltext_sipxha.core.pki.servercert import build_csr
from saltext_sipxha.core.plan.settings import PkiSettings

START_TIMEOUT = 10.0


@contextlib.contextmanager
def s_server(
    address: str,
    port: int,
    cert: Path,
    key: Path,
    *,
    ca_file: Path | None = None,
    require_client_cert: bool = False,
) -> Iterator[subprocess.Popen]:
    """Serve TLS on ``address:port`` with ``cert``/``key``; with ``require_client_cert``, a client must present
    a certificate that verifies against ``ca_file`` (mutual TLS, as sipX's registrar sync). Stopped by PID."""
    argv = ["openssl", "s_server", "-quiet", "-accept", f"{address}:{port}", "-cert", str(cert), "-key", str(key)]
    if ca_file is not None:
        argv += ["-CAfile", str(ca_file)]
    if require_client_cert:
        argv += ["-Verify", "2", "-verify_return_error"]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(process, address, port)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_listening(process: subprocess.Popen, address: str, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"openssl s_server on {address}:{port} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=0.5):
            return  # s_server shrugs off this plain connection and accepts the next one
        time.sleep(0.05)
    raise RuntimeError(f"openssl s_server on {address}:{port} did not listen within {START_TIMEOUT}s")


def issue(ca, folder: Path, domain: str, fqdn: str, minion: str) -> tuple[Path, Path, Path]:
    """A key and a certificate from the product's ``ca`` for ``fqdn`` in ``folder``: (ca.crt, ssl.crt, ssl.key)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = generate_key(PkiSettings(ca_name="ca"))
    names = planned_names(domain, fqdn)
    cert = ca.sign(build_csr(key, fqdn, names), minion, names, fqdn, 30)
    paths = folder / "ca.crt", folder / "ssl.crt", folder / "ssl.key"
    paths[0].write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key_to_pem(key))
    paths[2].chmod(0o600)
    return paths
