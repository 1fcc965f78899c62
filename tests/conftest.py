"""Shared test configuration: salt-factories kept on loopback and under pytest's temporary root."""

from __future__ import annotations

import pwd
import subprocess

import pytest
from saltfactories.plugins.event_listener import EventListener

from tests.support.named import running_named

LOOPBACK = "127.0.0.1"
SIPX_USER = "sipxchange"  #: the default sipxha:service:user, which owns ssl.key


@pytest.fixture(scope="session", autouse=True)
def sipx_user():
    """The sipX account (``sipxha:service:user``/``group``), created as a system user when missing."""
    ensure_sipx_user()
    return SIPX_USER


@pytest.hookimpl(hookwrapper=True)
def pytest_sessionstart(session):
    """Make salt-factories' log server listen on loopback only (its default is 0.0.0.0) before it starts."""
    log_server = session.config.pluginmanager.get_plugin("saltfactories-log-server")
    if log_server is not None:
        log_server.log_host = LOOPBACK
    yield


@pytest.fixture(scope="session")
def event_listener():
    """salt-factories' event listener, bound to loopback instead of 0.0.0.0."""
    listener = EventListener()
    listener.host = LOOPBACK
    listener.address = f"tcp://{LOOPBACK}:{listener.port}"
    with listener:
        yield listener


@pytest.fixture(scope="session")
def salt_factories_config(tmp_path_factory):
    """Keep every daemon's files under this run's temporary root, not scattered in /tmp."""
    return {"root_dir": tmp_path_factory.mktemp("salt-root"), "inject_sitecustomize": False, "start_timeout": 120}


def pytest_unconfigure(config):
    """Hand Salt's deferred log records to the live handlers now, not at exit into pytest's closed streams."""
    from salt._logging.impl import shutdown_temp_handler

    shutdown_temp_handler()


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    """A real BIND ``named`` on loopback with a dynamic ``example.com`` (nsupdate mode, TSIG key)."""
    with running_named(tmp_path_factory.mktemp("named")) as server:
        yield server


@pytest.fixture(scope="module")
def zone_named(tmp_path_factory):
    """A real BIND ``named`` serving ``example.com`` from the file zone-file mode writes (``rndc reload``)."""
    root = tmp_path_factory.mktemp("named-zonefile")
    with running_named(root, zone_file=root / "db.sipxha.example.com") as server:
        yield server


def ensure_sipx_user() -> None:
    try:
        pwd.getpwnam(SIPX_USER)
    except KeyError:
        argv = ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SIPX_USER]
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
