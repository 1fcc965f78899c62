"""An emulation of what a sipX 3.x server does with ``/etc/sipxpbx`` when it starts (tests only).

sipX's init script (``sipxpbx.in``) sources ``config.defs`` with the shell, expands every ``*.in``
template as a here-document with those values, runs ``ca_rehash`` on ``ssl/authorities``, checks its
certificate and starts the daemons as ``sipxchange``. :func:`start` does the same with real ``bash``
(a ``hostname`` shim on ``PATH`` answers ``-f``/``-d``/``-s`` with the server's fqdn, a
``get_def_addr`` shim with its address), writing the expanded files into ``out`` (not over the
tree); any output on stderr (a continuation line run as a command, a syntax error) fails it.
:func:`check_certificate` and :func:`check_key_readable` are the certificate checks.
"""

from __future__ import annotations

import datetime
import os
import re
import shlex
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from saltext_sipxha.core.plan.fleet import Fleet
from saltext_sipxha.core.sipx import forwarding, topology

SIPX_USER = "sipxchange"
TIMEOUT = 60
_DEF_ADDR = re.compile(r"(?:/usr/bin|@bindir@)/get_def_addr")
_NAMES = re.compile(r"^[ \t]*([A-Za-z_]\w*)=", re.M)


@dataclass
class Started:
    """What sipX would run with: the ``config.defs`` values and the expanded templates (name -> text)."""

    env: dict[str, str]
    files: dict[str, str]

    def keyvalues(self, name: str) -> dict[str, str]:
        """An expanded ``KEY : value`` file as a dict (as sipX's OsConfigDb reads it)."""
        values = {}
        for line in self.files[name].splitlines():
            key, sep, value = line.partition(":")
            if sep and not line.lstrip().startswith("#"):
                values[key.strip()] = value.strip()
        return values

    def xml(self, name: str) -> etree._ElementTree:
        return etree.ElementTree(etree.fromstring(self.files[name].encode(), etree.XMLParser(resolve_entities=False)))


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False, **kwargs)


def shims(bindir: Path, fqdn: str, address: str) -> Path:
    """``hostname`` and ``get_def_addr`` for ``fqdn``/``address`` in ``bindir``."""
    bindir.mkdir(parents=True, exist_ok=True)
    short, _, domain = fqdn.partition(".")
    answers = {"-f": fqdn, "--fqdn": fqdn, "-d": domain, "--domain": domain, "-s": short, "--short": short, "": short}
    cases = "".join(f"  {shlex.quote(flag)}) echo {shlex.quote(v)} ;;\n" for flag, v in answers.items())
    (bindir / "hostname").write_text(f'#!/bin/sh\ncase "$1" in\n{cases}  *) exit 1 ;;\nesac\n', encoding="utf-8")
    (bindir / "get_def_addr").write_text(f"#!/bin/sh\necho {shlex.quote(address)}\n", encoding="utf-8")
    for name in ("hostname", "get_def_addr"):
        (bindir / name).chmod(0o755)
    return bindir


def bash_n(text: str) -> None:
    check = _run(["bash", "-n"], input=text)
    assert check.returncode == 0, f"config.defs is not valid shell: {check.stderr}"


def source(text: str, bindir: Path, names: tuple[str, ...] = ()) -> dict[str, str]:
    """Source config.defs ``text`` as sipX does; the values of every name it assigns (plus ``names``)."""
    bash_n(text)
    text = _DEF_ADDR.sub(str(bindir / "get_def_addr"), text)
    wanted = sorted(set(_NAMES.findall(text)) | set(names))
    script = text + "\n" + "".join(f'printf "%s=%s\\0" {n} "${{{n}-}}"\n' for n in wanted)
    return _values(_bash(script, bindir))


def _bash(script: str, bindir: Path) -> str:
    env = {"PATH": f"{bindir}:/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL": "C"}
    run = _run(["bash", "--norc", "--noprofile"], input=script, env=env)
    assert run.returncode == 0 and not run.stderr, f"sipX start-up shell failed: {run.stderr}"
    return run.stdout


def _values(output: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in output.split("\0") if item)


def start(etc: Path, fqdn: str, address: str, out: Path, bindir: Path | None = None) -> Started:
    """Source ``etc/config.defs`` and expand every ``etc/*.in`` into ``out`` as sipX's start does
    (``out`` = ``etc``: in place, as sipX itself writes them; the shims go to ``bindir``, default ``out/bin``)."""
    bindir = shims(bindir or out / "bin", fqdn, address)
    defs = (etc / "config.defs").read_text(encoding="utf-8")
    env = source(defs, bindir)
    script = [_DEF_ADDR.sub(str(bindir / "get_def_addr"), defs)]
    templates = sorted(etc.glob("*.in"))
    for template in templates:
        text = template.read_text(encoding="utf-8")
        marker = "SIPXHA_EOF"
        assert f"\n{marker}\n" not in f"\n{text}\n"
        target = out / template.name.removesuffix(".in")
        script.append(
            f"cat > {shlex.quote(str(target))} <<{marker}\n{text}{'' if text.endswith(chr(10)) else chr(10)}{marker}"
        )
    _bash("\n".join(script) + "\n", bindir)
    files = {}
    for template in templates:
        name = template.name.removesuffix(".in")
        files[name] = (out / name).read_text(encoding="utf-8")
        if name.endswith(".xml"):
            etree.fromstring(files[name].encode(), etree.XMLParser(resolve_entities=False))  # well-formed
    return Started(env, files)


def check_certificate(ssl: Path, env: dict[str, str]) -> None:
    """sipX's start-up certificate checks on ``ssl/ssl.crt`` (after ``ca_rehash``, here ``openssl rehash -compat``)."""
    authorities, cert = ssl / "authorities", ssl / "ssl.crt"
    assert (ssl / "ssl.key").is_file() and cert.is_file(), "SSL key and/or certificate not found"
    rehash = _run(["openssl", "rehash", "-compat", str(authorities)])
    assert rehash.returncode == 0, rehash.stderr
    for purpose in ("sslclient", "sslserver"):
        verify = _run(["openssl", "verify", "-CApath", str(authorities), "-purpose", purpose, str(cert)])
        assert verify.returncode == 0 and verify.stdout.strip().endswith("OK"), (purpose, verify.stdout, verify.stderr)
    subject = _run(["openssl", "x509", "-noout", "-subject", "-nameopt", "multiline", "-in", str(cert)]).stdout
    common = re.search(r"commonName\s*=\s*(\S+)", subject)
    assert common, subject
    allowed = {env.get("SIPXCHANGE_DOMAIN_NAME"), env.get("MY_FULL_HOSTNAME")}
    assert common.group(1) in allowed, (common.group(1), allowed)
    days5 = str(int(datetime.timedelta(days=5).total_seconds()))
    assert _run(["openssl", "x509", "-noout", "-checkend", days5, "-in", str(cert)]).returncode == 0


def ensure_user(user: str = SIPX_USER) -> None:
    """Create the sipX system user when missing (tests run as root)."""
    if _run(["getent", "passwd", user]).returncode != 0:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        created = _run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user])
        assert created.returncode == 0 or _run(["getent", "passwd", user]).returncode == 0, created.stderr


def check_key_readable(ssl: Path, etc: Path, user: str = SIPX_USER) -> None:
    """The sipX daemons (``user``) can read ``ssl.key``; the test sandbox above ``etc`` is made searchable
    (on a real server that is ``/etc``), ``etc`` and ``ssl`` themselves are as the product left them."""
    if os.geteuid() != 0:
        import pytest

        pytest.skip("reading the key as the sipX user needs root (runuser)")
    ensure_user(user)
    for folder in etc.resolve().parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    read = _run(["runuser", "-u", user, "--", "openssl", "pkey", "-noout", "-in", str(ssl / "ssl.key")])
    assert read.returncode == 0, f"{user} cannot read {ssl / 'ssl.key'}: {read.stderr}"


def check_contract(started: Started, fleet: Fleet, minion_id: str) -> None:
    """What the contract says sipX runs with on ``minion_id`` of ``fleet`` (after ``sipxha`` converged)."""
    server = fleet.find_server(minion_id)
    env = started.env
    for key, value in server.config_defs.items():
        assert env[key] == value, (minion_id, key, env[key], value)
    assert env["SIPXCHANGE_REALM"] == fleet.realm
    assert env["MEDIA_SERVER_ADDR"] == (server.address if server.is_master else fleet.master.fqdn), minion_id
    routes = forwarding.registrar_routes(started.xml("forwardingrules.xml"))
    assert routes and [r.text for r in routes] == [f"<{server.registrar_name};transport=tcp>"] * len(routes)
    proxy = started.keyvalues("proxy-config")
    assert proxy["SIP_PROXY_AUTH_SERVER"] == f"<sip:{server.authproxy_name};transport=tcp>"
    assert proxy["SIP_PROXY_TCP_PORT"] == str(fleet.ports.proxy)
    registrar = started.keyvalues("registrar-config")
    assert registrar["SIP_REGISTRAR_NAME"] == server.fqdn
    assert registrar["SIP_REGISTRAR_SYNC_WITH"] == ", ".join(s.fqdn for s in fleet.servers)
    assert registrar["SIP_REGISTRAR_XMLRPC_PORT"] == str(fleet.ports.registrar_xmlrpc)
    assert registrar["SIP_REGISTRAR_TCP_PORT"] == str(fleet.ports.registrar)
    assert registrar["SIP_REGISTRAR_AUTHENTICATE_REALM"] == fleet.realm
    if "authproxy-config" in started.files:  # SyncDesign 5.11: Record-Route on the server's own address
        assert started.keyvalues("authproxy-config")["SIP_AUTHPROXY_ROUTE_NAME"] == (
            f"{server.address}:{fleet.ports.authproxy}"
        )
    if server.is_master:
        listed = topology.hosts(started.xml("topology.xml")).values()
        assert set(listed) == {s.fqdn for s in fleet.servers}, listed


def check_not_ha(started: Started, fqdn: str) -> None:
    """A server sipxha was uninstalled from: sipX starts as a stand-alone server again."""
    registrar = started.keyvalues("registrar-config")
    assert "SIP_REGISTRAR_NAME" not in registrar and "SIP_REGISTRAR_SYNC_WITH" not in registrar
    assert started.env["MY_FULL_HOSTNAME"] == fqdn
