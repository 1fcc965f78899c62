"""The fleet's verification results (``sipxha.verify`` from every server) as one readable table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def fleet_ok(results: Mapping[str, Any]) -> bool:
    """True when every server answered with a report and every report, and the DHCP rule, is ok."""
    reports = [r for r in results.values() if isinstance(r, Mapping)]
    return len(reports) == len(results) > 0 and all(r.get("ok") for r in reports) and dhcp_servers(results)[1]


def dhcp_servers(results: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The servers that are (or run) DHCP, and whether that is at most one."""
    found = sorted(
        minion
        for minion, report in results.items()
        if isinstance(report, Mapping)
        and (report.get("dhcp", {}).get("server") or report.get("dhcp", {}).get("running"))
    )
    return found, len(found) <= 1


def fleet_table(results: Mapping[str, Any]) -> str:
    """One row per server (role, files, certificate, DHCP, registrar sync), then DNS and where SIP clients go."""
    rows: list[tuple[str, ...]] = [("SERVER", "ROLE", "FILES", "CERTIFICATE", "DHCP", "SYNC", "OK")]
    for minion in sorted(results):
        report = results[minion]
        if not isinstance(report, Mapping):
            rows.append((minion, "?", "?", "?", "?", "?", f"no report: {str(report)[:60]}"))
            continue
        cells = (_role(report), _files(report), _cert(report), _dhcp(report), _sync(report))
        rows.append((minion, *cells, _yes(report.get("ok"))))
    lines = _columns(rows)
    servers, single = dhcp_servers(results)
    lines.append(f"\nDHCP: {', '.join(servers) or 'none of these servers'} ({'ok' if single else 'MORE THAN ONE'})")
    first: Mapping[str, Any] = next((results[m] for m in sorted(results) if isinstance(results[m], Mapping)), {})
    lines += _dns(first.get("dns"))
    probed = {m: r["sip"] for m, r in sorted(results.items()) if isinstance(r, Mapping) and r.get("sip")}
    shown: dict[str, Any] = {}
    for minion, sip in probed.items():
        same = next((other for other, seen in shown.items() if _reaches(seen) == _reaches(sip)), None)
        if same:
            lines.append(f"\nFrom {minion}: clients go where they go from {same}.")
        else:
            lines += _sip(minion, sip)
            shown[minion] = sip
    failing_over = sorted({name for sip in probed.values() for name in failing_over_names(sip)})
    verdict = "OK" if fleet_ok(results) else "NOT OK"
    if failing_over:
        verdict += f" ({len(failing_over)} SRV names are failing over: their preferred server does not answer)"
    lines.append(f"\nFleet: {verdict}")
    return "\n".join(lines)


def failing_over_names(sip: Mapping[str, Any]) -> list[str]:
    """SRV names whose clients are not reaching the preferred (first priority group) targets right now."""
    return [name for name, entry in sip.get("names", {}).items() if _note(entry)]


def _note(entry: Mapping[str, Any]) -> str:
    preferred = {f"{t['target']}:{t['port']}" for t in (entry["order"][0]["targets"] if entry["order"] else [])}
    if set(entry["reaches"]) == preferred:
        return ""
    return "  <- failover" if entry["reaches"] else "  <- NOTHING ANSWERS"


def _yes(value: Any) -> str:
    return "yes" if value else "NO"


def _role(report: Mapping[str, Any]) -> str:
    role = str(report.get("files", {}).get("role", "-"))
    return f"{role} (MAINTENANCE: out of DNS)" if report.get("maintenance") else role


def _files(report: Mapping[str, Any]) -> str:
    files = report.get("files")
    if not files:
        return "-"
    return "ok" if files["ok"] else f"{len(files['differs'])} differ"


def _cert(report: Mapping[str, Any]) -> str:
    certs = report.get("certs")
    if not certs or certs.get("skipped"):
        return "-"
    cert = certs.get("certificate") or {}
    expiry = str(cert.get("not_after", ""))[:10]
    if certs["ok"]:
        return f"ok until {expiry}"
    return "; ".join(certs.get("reasons") or ["not ok"])[:60]


def _dhcp(report: Mapping[str, Any]) -> str:
    dhcp = report.get("dhcp")
    if not dhcp:
        return "-"
    if not dhcp.get("server"):
        return "off" if dhcp["ok"] else "RUNNING (should be off)"
    return "server, config ok" if dhcp["ok"] else "server, config differs"


def _sync(report: Mapping[str, Any]) -> str:
    """Registrar replication: every peer's XML-RPC port verified over mutual TLS, or the first that is not."""
    sync = report.get("sync")
    if not sync or sync.get("skipped"):
        return "-"
    if "error" in sync:
        return str(sync["error"])[:40]
    peers = sync.get("peers", {})
    failed = [(peer, entry) for peer, entry in sorted(peers.items()) if not entry["ok"]]
    if not failed:
        return f"ok ({len(peers)} peers)"
    peer, entry = failed[0]
    more = f" +{len(failed) - 1}" if len(failed) > 1 else ""
    return f"{peer}: {entry['reason']}"[:48] + more


def _dns(dns: Mapping[str, Any] | None) -> list[str]:
    if not dns:
        return []
    counts = ", ".join(f"{len(dns[key])} {key}" for key in ("missing", "extra", "different", "unresolved_targets"))
    return [f"\nDNS at {dns['server']}: {dns['checked']} RRsets checked; {counts} ({'ok' if dns['ok'] else 'NOT OK'})"]


def _sip(minion: str, sip: Mapping[str, Any]) -> list[str]:
    lines = [f"\nWhere SIP clients go now (OPTIONS probes from {minion}):"]
    names = sip.get("names", {})
    width = max((len(name) for name in names), default=0)
    for name, entry in names.items():
        lines.append(f"  {name:<{width}}  {entry['transport']}  {', '.join(entry['reaches']) or '-'}{_note(entry)}")
    return lines


def _reaches(sip: Mapping[str, Any]) -> dict[str, list[str]]:
    return {name: entry["reaches"] for name, entry in sip.get("names", {}).items()}


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
