"""TLS handshakes that verify a sipX server's certificate: SIP over TLS (RFC 5922) and registrar sync.

Two identities are checked, always against the fleet CA only (never the system store):

- ``sip_domain``: what an RFC 5922 client checks for ``sips:<domain>``: when the certificate has
  ``URI:sip:`` subjectAltNames, one of them must be ``sip:<domain>``; otherwise a ``DNS:`` entry must equal
  the domain exactly (no wildcards, never the commonName);
- ``hostname``: what a registrar checks of its peer: a ``DNS:`` subjectAltName equal to the peer's fqdn.

With a client certificate (registrar replication is mutual TLS), the handshake presents it; under TLS 1.3 a
server rejects a client certificate only after the client's handshake finished, so the probe then waits up
to ``settle`` seconds for the server's alert before it calls the peer verified. Every step is bounded by
``timeout``.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

SETTLE = 0.3  #: seconds to wait after the handshake for a late (TLS 1.3) rejection of our certificate


@dataclass(frozen=True)
class TlsIdentity:
    """What this end trusts and presents: the fleet CA, and optionally its own certificate and key."""

    ca_file: str
    cert_file: str | None = None
    key_file: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TlsResult:
    """The outcome of one handshake; shaped like a SIP probe result (``reachable``, ``status``, ``reason``)."""

    host: str
    address: str
    port: int
    reachable: bool  #: the handshake succeeded and the certificate verified for the expected name
    reason: str
    transport: str = "tls"
    status: int | None = None
    names: tuple[str, ...] = ()  #: the peer certificate's subjectAltNames, ``DNS:...`` / ``URI:...``


def handshake(
    address: str,
    port: int,
    expected: str,
    identity: TlsIdentity,
    *,
    check: str = "sip_domain",
    timeout: float = 2.0,
    settle: float = SETTLE,
) -> TlsResult:
    """Connect to ``address:port``, verify the chain against ``identity.ca_file`` and ``expected`` by ``check``."""
    if check not in ("sip_domain", "hostname"):
        raise ValueError(f"check must be sip_domain or hostname, got {check!r}")
    try:
        context = _context(identity)
    except (OSError, ssl.SSLError) as err:
        return TlsResult(expected, address, port, False, f"cannot load the local TLS files: {_why(err)}")
    try:
        with (
            socket.create_connection((address, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=expected) as tls,
        ):
            names = _san(tls.getpeercert())
            mismatch = _mismatch(names, expected, check)
            if mismatch:
                return TlsResult(expected, address, port, False, mismatch, names=names)
            late = _late_rejection(tls, settle) if identity.cert_file else None
            if late:
                return TlsResult(expected, address, port, False, late, names=names)
            return TlsResult(expected, address, port, True, f"verified {tls.version()}", names=names)
    except ssl.SSLCertVerificationError as err:
        return TlsResult(expected, address, port, False, f"certificate not trusted: {err.verify_message}")
    except (OSError, ssl.SSLError) as err:
        return TlsResult(expected, address, port, False, _why(err))


def _context(identity: TlsIdentity) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # names are matched below, by the rule the caller asked for
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=identity.ca_file)
    if identity.cert_file:
        context.load_cert_chain(identity.cert_file, identity.key_file)
    return context


def _san(cert: dict[str, Any] | None) -> tuple[str, ...]:
    return tuple(f"{kind}:{value}" for kind, value in (cert or {}).get("subjectAltName", ()))


def _mismatch(names: tuple[str, ...], expected: str, check: str) -> str | None:
    """None when ``names`` satisfy ``check`` for ``expected``, else why not."""
    wanted = expected.rstrip(".").lower()
    dns_names = {name[4:].lower() for name in names if name.startswith("DNS:")}
    if check == "sip_domain":
        uris = {name[4:].lower() for name in names if name.lower().startswith("uri:sip:")}
        if uris:
            return None if f"sip:{wanted}" in uris else f"no URI:sip:{wanted} among {', '.join(sorted(uris))}"
    if wanted in dns_names:
        return None
    return f"certificate names {', '.join(names) or 'nothing'}, not DNS:{wanted}"


def _late_rejection(tls: ssl.SSLSocket, settle: float) -> str | None:
    """The server's alert when it refuses our certificate after the handshake (TLS 1.3), else None."""
    deadline = time.monotonic() + settle
    while (left := deadline - time.monotonic()) > 0:
        tls.settimeout(left)
        try:
            if not tls.recv(1):
                return None  # closed cleanly: nothing was refused
        except TimeoutError:
            return None
        except ssl.SSLError as err:
            return f"the peer refused our certificate: {_why(err)}"
        except OSError as err:
            return f"the peer closed the connection: {_why(err)}"
    return None


def _why(err: BaseException) -> str:
    reason = getattr(err, "reason", None)
    return str(reason or getattr(err, "strerror", None) or err)
