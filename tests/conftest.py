"""Shared test configuration: salt-factories kept on loopback and under pytest's temporary root."""

from __future__ import annotations

import pytest
from saltfactories.plugins.event_listener import EventListener

LOOPBACK = "127.0.0.1"


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
