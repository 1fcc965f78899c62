"""The prose of ``docs/benchmarks.md``: how each figure is measured and what it shows (see :mod:`.report`)."""

METHOD = """\
How to read it: every figure is measured in this one run next to a baseline doing the same job another
way; variants take turns round by round (the order alternating), so a busy machine slows both alike.
Times are medians with (min-max, number of rounds); a ratio is `sipxha` time / baseline time (lower is
better), of the medians, with the range of the per-round ratios. The machine is a shared 2-core VM:
absolute times vary from run to run, ratios much less."""

RERUN = """\
## 1. Converged re-run: `state.apply sipxha` with nothing to change

A real salt-master and three salt-minions (salt-factories, standalone, 127.0.0.1; `tests/support/fleet.py`),
fleet converged once. Baseline: `benchmarks/baseline.sls` (as the `sipxha_bench` SLS) manages exactly the
files the `sipxha` SLS manages on that minion (role files, Kea configuration on sipxpbx1, `ssl.key`,
`ssl.crt`, the CA file, its hash link) with plain `file.managed` (`source: salt://`, same contents and
modes) and `file.symlink`, already converged too. Each sample is one `salt-call state.apply <sls>` process
on the minion (its wall time includes Salt's start-up, authentication and pillar compile, the same for
both) and the sum of the `duration` fields of its state return. A run that changes anything aborts the
benchmark. The last rows are the same comparison masterless (`salt-call --local`, `file_client: local`,
signing with the `sipxha_pki:local_ca`), from the memory part's processes."""

RERUN_PROFILE = """\
The CA certificate comes with the pillar: the master's `sipxha_ca` ext_pillar (`ext_pillar:
[{sipxha_ca: {}}]`, in this fleet's master config) puts `ca.crt` into the pillar of every server
listed under `sipxha:servers`, and `sipxha_pki.ca_cert` reads it there. The pillar is compiled for
every state run anyway (for the baseline too), so a CA replaced on the master is still seen by the
next run, with no extra round trip; the ext_pillar itself costs ~0.05 ms per compile (a file read and
a PEM parse, measured alone with `timeit`). Masterless, the CA certificate is read from the local CA.

Before this (`make bench` of 2026-11-25T02:09, same machine, commit facbab3): `sipxha-pki-certificate`
took 371 ms on sipxpbx1 and 402 ms on sipxpbx2, the states' durations were 0.388 s (1.57x) and
0.415 s (2.27x, both goals missed), wall 1.23x and 1.18x. A pyinstrument profile of that run
(converged sipxpbx2) put 0.305 s of it in one `publish.runner` call of `sipxha_ca.ca_cert` per run:
on the master each `peer_run` call builds a new `salt.runner.Runner` (loaders, a job id, events)
before the runner function (a file read) runs. That call is now made only when the pillar has no CA
certificate (a master without the ext_pillar). What remains of the `sipxha` states' time is the
states themselves (key, certificate and CA file compared on disk, role and DHCP files parsed); the
baseline's 15-16 `file.managed` states each ask the master's fileserver for their source's hash."""

FIRST = """\
## 2. First convergence and re-certification

First convergence: fresh sipX 3.x trees on all three minions (no HA edits, no key, no certificate), then
`salt 'sipxpbx*' state.apply sipxha` from the master: role files, DHCP on sipxpbx1, and on every minion a
new EC key, a CSR signed by the master's CA through `peer_run` (`sipxha_ca.sign`: the minion's pillar
compiled on the master, policy, signature, index). Baseline: `state.apply sipxha_bench` on fresh trees,
writing the same final files (certificates copied, nothing signed).

Re-certification: the `sipxha_cert` beacon (interval 1 s) on sipxpbx2 with a 10-day certificate; a
pillar change (`pki: {days: 30, renew_days: 15}`) makes it due; measured from the moment the beacon's
`sipxha/cert/expiring` event arrives on the master's event bus (a listener in the benchmark) to the
mtime of the new `ssl.crt`: reactor, `local.state.apply` job, the minion's `state.apply sipxha`, signing.
Baseline: the same due renewal started directly by `salt sipxpbx2 state.apply sipxha` (no beacon
configured), wall time of the `salt` command."""

FIRST_AFTER = """\
No goal was set for these. First convergence costs what signing costs: per minion a key, a CSR and one
`peer_run` round trip (the signature; the CA certificate comes with the pillar), the master compiling
that minion's pillar to authorise it; the baseline copies certificates instead. (Before the
`sipxha_ca` ext_pillar a second round trip fetched the CA certificate: 5.2 s, 1.82x, and 1.5 s,
0.77x, for the renewal, in the run of commit facbab3; its baselines took 2.8 s and 2.0 s, this run's
4.5 s and 3.8 s on a busier machine, so part of the change in these two ratios is noise.) The event
path adds nothing measurable to the renewal itself (the reactor's job starts faster than a `salt` CLI
process); what an operator waits for in practice is the beacon interval (default 3600 s) plus this."""

DNS = """\
## 3. Plan + zone rendering for N servers

`sipxha`: `build_plan(pillar)` (validating every key) and `render_zone` (every SRV/NS/A/SOA record as
dnspython rdata, then the master file text). Baseline: dnspython alone putting the same prebuilt
records into a `dns.zone.Zone` and `Zone.to_text()`; neither the plan nor record construction is
timed for it, so the comparison favours dnspython. Series `full` is the default (every peer
a fallback: 3N² + 2N SRV records, so N = 1000, three million records, is left out); series
`max_fallbacks=2` is the recommended setting for large fleets (records linear in N)."""

DNS_AFTER = """\
Linear growth: the time per record falls towards a constant as the fixed cost (the plan, the zone
header) is spread over more records, and the straight-line fit of time against records has R² ≈ 1
in both series, for `sipxha` as for dnspython. No goal was set;
`sipxha` including the plan stays within a small factor of dnspython's serialisation alone. Profile
(pyinstrument, N = 2000, `max_fallbacks: 2`): building records ~60 % (mostly dnspython parsing the same
target names again, `dns.name.from_text`, and rdata construction), writing the text ~40 % (dnspython's
`Name.relativize`/`to_text`, `SRV.to_text`), the plan ~4 %; nothing grows faster than the records. A
cache of parsed names would save perhaps a fifth; not needed for any fleet size sipX runs at."""

CA = """\
## 4. CA signing throughput

`benchmarks/ca_sign.py` (also runnable alone): 500 EC P-256 CSRs, made before timing, signed in
{rounds} rounds of equal batches, the methods taking turns. `sipxha CA`: `CertificateAuthority.sign` as
the runner calls it per request, a new CA object each time (CSR parse and signature check, policy and rate
limit, CA key decryption, serial, the locked index update: one record file and one log line, fsynced); not
included: the runner's pillar compile and
Salt's transport. `cryptography`: the same certificate built and signed with an in-memory key, nothing
else. `openssl x509 -req`: one `{openssl}` process per certificate, CA key encrypted (`-passin`)."""

CA_AFTER = """\
No goal was set. Most of the CA core's time per request is the decryption of the CA key (encrypted at
rest, decrypted per request); the index costs the same at any size (below)."""

CA_SCALING = """\
Index scaling (issue 13.14: the former `index.json` was rewritten whole per signature, 3.6 -> 11.3 ms across
500): one CA per size, its index filled through `IssuedIndex.add` (records copied from one real
certificate, each with its own random serial and its own minion, fsynced as a signature's are; grown in one
folder, copied at each smaller size). All sizes are measured in the same {rounds} rounds (order alternating):
per size a window of signatures with one CA object ({one} a round, key decrypted once: the index's share is
largest) and with a new CA object per request as the runner makes ({runner} a round, the CA key decrypted
each time), and raw `cryptography` signing of CSRs like them (one baseline a round, shared by every size).
Each signature is for a minion that already
holds one certificate (for another key): the rate limit reads its record and lets the new key through; the
new certificate writes one record and appends one line to that minion's log. The machine is shared with
other jobs (load average {load_start} at the start of this part, {load_end} at its end), so absolute times
vary from round to round several-fold: read the ratios, to raw `cryptography` and between sizes, taken
within the same rounds."""

CA_SCALING_AFTER = """\
Filling the index took {fill_s:.0f} s ({fill_ms_per_record:.1f} ms per record, {issued:,} records in the end,
every serial distinct: {serials_unique}). Revoking one serial at {issued:,} issued took {revoke_one_ms:,.0f} ms:
a revocation rebuilds the CRL from every record, so it grows with the index (an admin's command, not a
request path)."""

MEMORY = """\
## 5. Resident memory of a minion process

Method: each sample is one `salt-call --local` process on a converged masterless sandbox (sipxpbx1,
`file_client: local`, local CA), run through `benchmarks/rss_call.py`, which reads `VmRSS` from
`/proc/self/status` just before the process exits, after the call. To run a minion *without* the
extension in the same venv, `--hide-extension` filters saltext_sipxha's `salt.loader` entry point out
of `salt.utils.entrypoints.iter_entry_points` before Salt looks for extensions: the same interpreter,
Salt and config; Salt just never sees (or imports) the extension. A `salt-call` process holds the same
loaders a `salt-minion` job process does (execution, state, renderer, grains and pillar modules), so
the difference is what the extension adds to a minion running it."""

MEMORY_AFTER = """\
No goal was set. Installed but unused, the extension costs nothing measurable (only its package
`__init__` is imported to find the loader folders). Applying `sipxha` adds its modules and core plus
what they import that a plain `file.managed` run does not (lxml, cryptography's x509 and dnspython)."""

ROLLOUT = """\
## 6. A fleet-wide change under client load: rolling against immediate restarts

The rollout integration tests' fleet (`tests/support/rollout.py`): a real salt-master and three
salt-minions, BIND (`named`, nsupdate mode with the servers' A records, SRV TTL {srv_ttl} s), and per
server on its own loopback address (127.0.0.11-13) Debian's `sipp -sn uas` answering OPTIONS on the proxy
(TCP, UDP), registrar (TCP) and auth-proxy (TCP, UDP) ports, standing in for sipX. Each server's
`service:restart_command` is `tests/support/responders.py restart`: it stops that server's responders,
waits {down:g} s (a real sipX takes far longer), starts them again and waits until they answer. The change:
`ports:registrar_xmlrpc` (`SIP_REGISTRAR_XMLRPC_PORT` in every server's config.defs) toggled, then
`salt 'sipxpbx*' state.apply sipxha`. **immediate** (today's behaviour): every server restarts in its own
state run, all at about the same moment. **rolling** (`rollout: {{drain_wait: {drain_wait:g},
health_timeout: {health_timeout:g}}}`): every run marks its server and fires `sipxha/restart/needed`;
the shipped reactor starts `salt-run sipxha.rollout`, which restarts the servers one at a time, drained
from DNS around each restart. {rounds} round(s) of each, taking turns.

Client load (`benchmarks/sipload.py`, ours): an RFC 3263 client for every SRV name the fleet publishes,
{rate} OPTIONS per second per name from {lead:g} s before the change until {tail:g} s after it is done
(state.apply returned, and for rolling the rollout's return). Each request resolves the SRV name with
dnspython from the benchmark's BIND (its own cache, honouring the TTL), tries the targets in
`answer.rrset.processing_order()` order (priority, then weight) with one OPTIONS each (UDP for `_sip._udp`
names, else TCP), fails over after {timeout:g} s without an answer, and counts as failed only if no
target answered. A request never waits for the one before it (a thread pool). The longest gap is the
longest stretch without an answer for that name; the row "any name" is the longest stretch in which no
name got an answer at all: the client or the machine stalled (the per-name gaps include such stalls).
The independent check with a client nobody here wrote is the kamailio integration test (issue 11)."""

ROLLOUT_TIMES = """\
The rollout's time is its runner job's lifetime on the master's event bus (`salt/run/<jid>/new` to
`.../ret`; the reactor may start more jobs, refused while one runs, or finding nothing to do: those are
not counted). Its budget is N x (drain_wait + restart + time to healthy): restart is the restart
command's own time (its log), time to healthy the runner's own measure (`timings.health`: first health
probe after the restart returned to every check answering). What is left, per server, is what the
orchestration adds: in each server's steps (the drain and undrain DNS updates, sent by the runner
itself in nsupdate mode; the restart call's Salt round trip beyond the command, which also takes the
restart marker; the peer probes before the drain) and once per rollout (the fleet's plan from the
pillar, asking the minions for their markers (again at the end only after a `sipxha/restart/needed`
event), the lock, the events)."""

ROLLOUT_AFTER = """\
Where a rollout's time goes beyond the budget: each server's steps are one call from the runner to a
minion (the restart, which takes the restart marker as it begins), the drain's and the undrain's RFC 2136
updates sent by the runner itself (and the drain once more after drain_wait; a minion sends them only
where the master cannot reach the DNS server), and one OPTIONS probe of a peer per health check before
the drain, so the per-server overhead is about one minion call beyond the restart command (measured under
the same load just before the change; it varies several-fold with the machine's load: this VM's 2 cores
are shared by other jobs). Once per rollout: the runner starting, the fleet's plan from the pillar, every
minion asked for its marker (asked again at the end only when a `sipxha/restart/needed` event arrived
meanwhile, so that a server marked during the rollout is restarted too). Before the runner sent the DNS
updates itself and the restart took the marker (four minion calls per server, the markers always asked
twice), a quick run on this machine when quiet measured 2.3 s per server, and 6.9-9.4 s at load 18-24.

The immediate baseline loses requests on every SRV name for as long as all servers are down together,
which is as long as a restart minus the spread of the state runs: here a {down:g} s restart on a busy
2-core machine; with a real sipX (a restart of tens of seconds, each server on its own machine) the
outage is the whole restart. Rolling keeps every name answered because each server leaves DNS
`drain_wait` ({drain_wait:g} s, >= the SRV TTL of {srv_ttl} s) before its restart, so clients have stopped
choosing it; its longest per-name gaps are slow answers on the loaded machine (a DNS retry, a late
reply, a failover), not an outage (compare the "any name" row, and no request failed).

Two things this benchmark found in its own stand-ins: sipp's TCP responder (`-t t1`) exits when a peer
resets a connection before closing it (no sipp option avoids that), which a client causes by closing a
socket that holds an answer that arrived just as it gave up; the SIP probe (the load client, the
rollout's health checks, `sipxha.verify`) therefore sends its FIN first and closes only after the
server's (`core/verify/tcpclose.py`; `tests/integration/test_sipprobe_resets.py` counts 0 resets in
a burst of probes that killed sipp within a second before). And in a run before that fix, with the TCP auth-proxy
responders of two servers dead that way, draining the third left `_sip._tcp.sipxauthproxyN` with no
answering target (about 200 failed requests per name): the rollout checks that a peer answers on the
proxy port before draining, not on every port whose SRV names it drains from."""
