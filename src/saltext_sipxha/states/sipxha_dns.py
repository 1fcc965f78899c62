"""
State module ``sipxha_dns``: the fleet's SRV records are live in DNS, by zone file or by RFC 2136 update.

.. code-block:: yaml

    # on the dns:zonefile:minion: write, validate (named-checkzone) and reload the zone
    /etc/bind/db.sipxha.example.com:
      sipxha_dns.zonefile

    # anywhere: make the SRV/NAPTR RRsets of dns:nsupdate:zone equal the plan
    sipxha-srv-records:
      sipxha_dns.nsupdate

The actions are the execution module's (``sipxha_dns.zonefile``, ``withdraw``, ``nsupdate``); the states only
shape their answers. Zone-file mode writes a whole zone (see :mod:`saltext_sipxha.core.dns.zonetext` for
why, and for the ``dns:zonefile:include`` file that holds the administrator's other records). ``test=True`` shows the
diff (and still runs ``named-checkzone`` on the candidate) but writes nothing and sends nothing.
"""

from __future__ import annotations

from typing import Any

from saltext_sipxha.saltbridge import run_state

__virtualname__ = "sipxha_dns"


def __virtual__():
    return __virtualname__


def zonefile(name: str, reload: bool = True) -> dict[str, Any]:
    """
    Ensure the zone file ``name`` holds the fleet's zone; reload the DNS server when it changed.

    The SOA serial moves only when the records (or the include file) change; the candidate must pass
    ``named-checkzone -k fail -S fail`` before it replaces ``name``; the original file is kept once as
    ``<name>.bak``. Settings come from ``sipxha:dns:zonefile`` (``nameservers``, ``include``, ``reload``).

    name
        Path of the zone file named in ``named.conf`` (normally ``sipxha:dns:zonefile:path``).

    reload
        Run ``sipxha:dns:zonefile:reload`` after a change (default True).

    Example (on the ``dns:zonefile:minion``, what the ``sipxha.dns`` SLS does):

    .. code-block:: yaml

        /etc/bind/db.sipxha.example.com:
          sipxha_dns.zonefile:
            - reload: True
    """

    def body(ret: dict[str, Any]) -> None:
        done = __salt__["sipxha_dns.zonefile"](name, reload=reload, test=__opts__["test"])
        if done["retry_reload"]:
            _retry_reload(ret, done)
            return
        what, serial = ("Zone fragment", None) if done["fragment"] else ("Zone file", done["new_serial"])
        if not done["changed"]:
            serial = f" (serial {done['old_serial']})" if serial is not None else ""
            ret["comment"] = f"{what} {name} is up to date{serial}"
            return
        ret["changes"] = {"diff": done["diff"]}
        if serial is not None:
            ret["changes"]["serial"] = {"old": done["old_serial"], "new": serial}
        serial = f" (serial {serial})" if serial is not None else ""
        if __opts__["test"]:
            ret.update(result=None, comment=f"Would write {what.lower()} {name}{serial}")
            return
        reloaded = f" and ran {done['reload']!r}" if done["reload"] else ""
        ret["comment"] = f"Wrote {what.lower()} {name}{serial}{reloaded}"

    return run_state(name, body)


def _retry_reload(ret: dict[str, Any], done: dict[str, Any]) -> None:
    """The zone file is up to date but an earlier reload failed: the DNS server still serves the old zone."""
    command, path = done["reload"], done["path"]
    ret["changes"] = {"reload": {"old": "failed earlier", "new": command}}
    if __opts__["test"]:
        ret.update(result=None, comment=f"Would run {command!r}: zone file {path} was never loaded")
        return
    ret["comment"] = f"Ran {command!r}: zone file {path} (serial {done['old_serial']}) was never loaded"


def zonefile_uninstalled(name: str) -> dict[str, Any]:
    """
    Put the zone file back without the sipX HA records (``sipxha.uninstall`` on the ``dns:zonefile:minion``).

    The original from before sipxha is restored (its SOA serial moved past the live one); where sipxha
    created the file, the zone stays without the HA records (a fragment: comments only), so that the DNS
    server still loads it. Validated like the zone file, then reloaded (``dns:zonefile:reload``); see
    :mod:`saltext_sipxha.core.dns.withdraw`. A second run changes nothing. An original whose SOA serial
    cannot be moved past the live one fails the state before any change, naming its ``.bak`` and the
    serial to set there (restored as it is, secondaries would keep serving the HA records).

    name
        Path of the zone file (``sipxha:dns:zonefile:path``).

    Example (what the ``sipxha.uninstall`` SLS does on the ``dns:zonefile:minion``):

    .. code-block:: yaml

        /etc/bind/db.sipxha.example.com:
          sipxha_dns.zonefile_uninstalled: []
    """

    def body(ret: dict[str, Any]) -> None:
        done = __salt__["sipxha_dns.withdraw"](name, test=__opts__["test"])
        if not done["managed"]:
            ret["comment"] = f"{name} is not sipxha:dns:zonefile:path: nothing to undo"
            return
        if not done["pending"]:
            ret["comment"] = f"nothing of sipxha to undo in {name}"
            return
        ret["changes"] = {"diff": done["diff"]} if done["changed"] else {"reload": {"old": "failed earlier"}}
        if done["changed"] and done["new_serial"] is not None:
            ret["changes"]["serial"] = {"old": done["old_serial"], "new": done["new_serial"]}
        what = "back without the sipX HA records"
        if __opts__["test"]:
            ret.update(result=None, comment=f"Would put {name} {what}")
            return
        reloaded = f" and ran {done['reload']!r}" if done["reload"] else ""
        ret["comment"] = f"Put {name} {what}{reloaded}"

    return run_state(name, body)


def nsupdate(name: str) -> dict[str, Any]:
    """
    Ensure the live SRV/NAPTR RRsets equal the plan, by one atomic RFC 2136 update (TCP, TSIG).

    Reads the zone (AXFR with the same key), changes only the RRsets this extension owns, deletes
    those of servers that left the pillar, and sends nothing when DNS already matches.
    Settings come from ``sipxha:dns:nsupdate``.

    name
        An arbitrary state id (e.g. the zone).

    Example (on any one minion that reaches the DNS server, what the ``sipxha.dns`` SLS does):

    .. code-block:: yaml

        example.com.:
          sipxha_dns.nsupdate: []
    """
    return run_state(name, lambda ret: _sync(ret, without=None))


def server_absent(name: str) -> dict[str, Any]:
    """
    Remove this server from the fleet's SRV records by one atomic RFC 2136 update (``sipxha.uninstall``).

    Its own registrar and auth-proxy SRV names are deleted and no other record points at it any more;
    the rest of the plan stays as it is. Settings come from ``sipxha:dns:nsupdate``.

    name
        An arbitrary state id.

    Example (what the ``sipxha.uninstall`` SLS does in nsupdate mode):

    .. code-block:: yaml

        sipxha-dns-server-absent:
          sipxha_dns.server_absent: []
    """
    return run_state(name, lambda ret: _sync(ret, without=__opts__["id"]))


def _sync(ret: dict[str, Any], without: str | None) -> None:
    """Shape what ``sipxha_dns.nsupdate`` did (or, under test=True, would do) to live DNS."""
    done = __salt__["sipxha_dns.nsupdate"](without=without, test=__opts__["test"])
    where = f"zone {done['zone']} at {done['server']}" + (f" without {without}" if without else "")
    if done["in_sync"]:
        ret["comment"] = f"SRV records of {where} are up to date"
        return
    ret["changes"] = done["changes"]
    count, sent = len(done["changes"]), done["sent"]
    if __opts__["test"]:
        ret.update(result=None, comment=f"Would update {count} RRset(s) of {where}")
        return
    how = "one atomic update" if sent == 1 else f"{sent} updates (too large for one message; each RRset atomic)"
    ret["comment"] = f"Updated {count} RRset(s) of {where} in {how}"
