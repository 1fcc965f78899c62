"""Signing throughput: the sipxha CA core vs raw ``cryptography`` vs ``openssl x509 -req``, in one run.

    python benchmarks/ca_sign.py [--count 500] [--rounds 5] [--sizes 100,1000,5000,10000] [--json FILE]

- ``sipxha CA``: :meth:`CertificateAuthority.sign` as the runner calls it per request (a new CA object
  each time): CSR parse and signature check, policy (key strength, exact names, rate limit), CA key
  decryption, serial, certificate, and the locked index update (one record file + one log line, fsync).
  Not included: the runner's pillar compile for the caller and Salt's transport.
- ``cryptography``: the same certificate built and signed with an in-memory key, nothing else.
- ``openssl x509 -req``: one ``openssl`` process per certificate (the CA key encrypted, ``-passin``).

CSRs (EC P-256) are made before timing; the methods take turns on batches of ``count / rounds`` CSRs
(order alternating), so machine noise hits all three alike. Then ``index scaling``: the index filled
through :class:`IssuedIndex` up to each of ``--sizes`` issued, and at each size a window of signatures
(one CA object; a new one per request as the runner does) in rounds alternating with raw ``cryptography``
signing: ms/cert and its ratio to the raw baseline of the same rounds, flat when the index costs the same
at any size. Prints tables and writes JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
from benchmarks.stats import interleaved, ratio, summary  # noqa: E402
from saltext_sipxha.core.pki.ca import CertificateAuthority  # noqa: E402
from saltext_sipxha.core.pki.issued import IssuedCert  # noqa: E402
from saltext_sipxha.core.pki.names import planned_names, san_extension  # noqa: E402
from saltext_sipxha.core.pki.servercert import build_csr  # noqa: E402
from saltext_sipxha.core.plan.settings import PkiSettings  # noqa: E402

PASSPHRASE = b"benchmark-passphrase"
NAMES = planned_names("example.com", "sipxpbx1.example.com")
EXTFILE = "subjectAltName=URI:sip:example.com,DNS:example.com,DNS:sipxpbx1.example.com\n" \
          "extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\n"  # fmt: skip


def make_csrs(count: int) -> list[str]:
    return [build_csr(ec.generate_private_key(ec.SECP256R1()), "sipxpbx1.example.com", NAMES) for _ in range(count)]


def bench_core(ca: CertificateAuthority, csrs: list[str]) -> float:
    started = time.perf_counter()
    for csr in csrs:  # a new CA object per request, as the runner makes one: the key is decrypted each time
        fresh = CertificateAuthority(ca.dir, PASSPHRASE)
        fresh.sign(csr, "sipxpbx1", NAMES, "sipxpbx1.example.com", 365, renew_days=30)
    return time.perf_counter() - started


SIZES = (100, 1000, 5000, 10000)
ONE, RUNNER = "one CA object (key decrypted once)", "new CA object per request (runner)"
#: signatures per round for each index size and way of calling the CA (12 rounds use 96 of the 100 minions
#: of the smallest index that hold one certificate)
WINDOW = {ONE: 5, RUNNER: 3}
RAW = "cryptography (raw sign)"
RAW_REPEAT = 3  #: the baseline signs each round's CSRs this many times (a window of raw signatures is short)


def fill(ca: CertificateAuthority, template: IssuedCert, start: int, stop: int) -> None:
    """Add records through :class:`IssuedIndex` for minions ``node<start>..node<stop - 1>``, one each: copies of
    ``template`` (a real certificate's record), each with its own random serial."""
    with ca.index.locked():
        for number in range(start, stop):
            ca.index.add(replace(template, serial=f"{x509.random_serial_number():x}", minion=f"node{number}"))


def build_indexes(work: Path, sizes: tuple[int, ...]) -> tuple[dict[int, CertificateAuthority], float]:
    """One CA per size, its index filled up to the size: one index grown through the API, a copy of its
    folder taken at each size (the same CA key and certificate in every copy)."""
    ca = CertificateAuthority(work / "scale-ca", PASSPHRASE)
    ca.create("ca.example.com", PkiSettings(ca_name="ca.example.com"))
    started = time.perf_counter()
    template = IssuedCert.of(ca.sign(make_csrs(1)[0], "node0", NAMES, "sipxpbx1.example.com", 365), "node0")
    cas, filled = {}, 1
    for size in sorted(sizes):
        fill(ca, template, filled, size)
        filled = size
        shutil.copytree(ca.dir, work / f"ca-{size}")
        cas[size] = CertificateAuthority(work / f"ca-{size}", PASSPHRASE)
    return cas, time.perf_counter() - started


def sign_window(ca: CertificateAuthority, csrs: list[str], minions: list[str], fresh: bool) -> int:
    """Sign ``csrs`` for ``minions`` (each holding one certificate for another key: the rate limit reads it and
    lets the new key through), with ``ca`` or, as the runner does, a new CA object per request."""
    for csr, minion in zip(csrs, minions, strict=True):
        signer = CertificateAuthority(ca.dir, PASSPHRASE) if fresh else ca
        signer.sign(csr, minion, NAMES, "sipxpbx1.example.com", 365, renew_days=30)
    return len(csrs)


def index_scaling(work: Path, sizes: tuple[int, ...] = SIZES, rounds: int = 12) -> dict:
    """Per-certificate cost at each index size in ``sizes``, all sizes measured in the same ``rounds``: in each
    round (order alternating) a window of signatures per size and way of calling the CA (:data:`WINDOW`), and
    raw ``cryptography`` signing of CSRs like them; ms/cert, ratios to raw and to the smallest size."""
    cas, fill_s = build_indexes(work, sizes)
    before = {size: issued_count(ca) for size, ca in cas.items()}
    holders = {size: iter(f"node{number}" for number in range(size)) for size in sizes}  # one certificate each
    batches = {(size, way): iter([(make_csrs(n), [next(holders[size]) for _ in range(n)]) for _ in range(rounds)])
               for size in sizes for way, n in WINDOW.items()}  # fmt: skip
    raw_csrs = [make_csrs(sum(WINDOW.values())) for _ in range(rounds)]
    key = serialization.load_pem_private_key(cas[sizes[0]].key_path.read_bytes(), PASSPHRASE)

    def core(size: int, way: str) -> Callable[[], tuple[int, float]]:
        def _run() -> tuple[int, float]:
            csrs, names = next(batches[size, way])
            started = time.perf_counter()
            count = sign_window(cas[size], csrs, names, fresh=way == RUNNER)
            return count, time.perf_counter() - started

        return _run

    raw_rounds = iter(raw_csrs)

    def raw() -> tuple[int, float]:
        csrs = next(raw_rounds)
        return RAW_REPEAT * len(csrs), sum(raw_sign(cas[sizes[0]], key, csrs) for _ in range(RAW_REPEAT))

    variants = {f"{size}/{way}": core(size, way) for size in sizes for way in WINDOW} | {RAW: raw}
    samples = interleaved(variants, rounds, measure=lambda result, _: 1000 * result[1] / result[0])
    rows = [{"issued_before": before[size], "issued_after": issued_count(cas[size]),
             "ms_per_cert": {way: summary(samples[f"{size}/{way}"], digits=3) for way in WINDOW}
             | {RAW: summary(samples[RAW], digits=3)},
             "ratio_to_raw": {way: ratio(samples[f"{size}/{way}"], samples[RAW]) for way in WINDOW}}
            for size in sizes]  # fmt: skip
    flat = {way: ratio(samples[f"{sizes[-1]}/{way}"], samples[f"{sizes[0]}/{way}"]) for way in WINDOW}
    big = cas[sizes[-1]]
    entries = big.index.load()
    started = time.perf_counter()
    big.revoke(serial=entries[len(entries) // 2].serial)
    revoke_ms = 1000 * (time.perf_counter() - started)
    return {"sizes": list(sizes), "rounds": rounds, "window": WINDOW, "raw_repeat": RAW_REPEAT, "rows": rows,
            "issued": len(entries), "serials_unique": len({e.serial for e in entries}) == len(entries),
            "fill_s": round(fill_s, 1), "fill_ms_per_record": round(1000 * fill_s / sizes[-1], 3),
            "revoke_one_ms": round(revoke_ms, 1), "flat": flat}  # fmt: skip


def issued_count(ca: CertificateAuthority) -> int:
    return sum(1 for _ in ca.index.records.glob("*.json"))


def raw_sign(ca: CertificateAuthority, key: Any, csrs: list[str]) -> float:
    """Seconds to build and sign a certificate for each of ``csrs`` with ``cryptography`` alone (key in memory)."""
    issuer, now = ca.certificate.subject, datetime.datetime.now(datetime.timezone.utc)
    parsed = [x509.load_pem_x509_csr(csr.encode()) for csr in csrs]
    started = time.perf_counter()
    for csr in parsed:
        (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sipxpbx1.example.com")]))
            .issuer_name(issuer)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False
            )
            .add_extension(san_extension(NAMES), critical=False)
            .sign(key, hashes.SHA256())
        )
    return time.perf_counter() - started


def bench_cryptography(ca: CertificateAuthority, csrs: list[str]) -> float:
    return raw_sign(ca, serialization.load_pem_private_key(ca.key_path.read_bytes(), PASSPHRASE), csrs)


def bench_openssl(ca: CertificateAuthority, csrs: list[str], work: Path) -> float:
    (work / "ext.cnf").write_text(EXTFILE, encoding="ascii")
    paths = []
    for i, csr in enumerate(csrs):
        path = work / f"{i}.csr"
        path.write_text(csr, encoding="ascii")
        paths.append(path)
    command = ["openssl", "x509", "-req", "-CA", str(ca.cert_path), "-CAkey", str(ca.key_path),
               "-passin", f"pass:{PASSPHRASE.decode()}", "-days", "365", "-sha256", "-CAcreateserial",
               "-CAserial", str(work / "serial"), "-extfile", str(work / "ext.cnf")]  # fmt: skip
    started = time.perf_counter()
    for path in paths:
        subprocess.run([*command, "-in", str(path), "-out", str(path.with_suffix(".crt"))], check=True,
                       capture_output=True, timeout=60)  # fmt: skip
    return time.perf_counter() - started


def openssl_version() -> str:
    return subprocess.run(["openssl", "version"], check=False, capture_output=True, text=True).stdout.strip()


def run(count: int = 500, chunks: int = 5, sizes: tuple[int, ...] = SIZES) -> dict:
    """Sign ``count`` CSRs with each method, in ``chunks`` interleaved rounds; per-round ms/cert and totals."""
    size = max(1, count // chunks)
    load_start = [round(value, 2) for value in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="sipxha-bench-") as tmp:
        work = Path(tmp)
        ca = CertificateAuthority(work / "ca", PASSPHRASE)
        ca.create("ca.example.com", PkiSettings(ca_name="ca.example.com"))
        csrs = make_csrs(size * chunks)
        methods = {
            "sipxha CA (runner core)": lambda batch: bench_core(ca, batch),
            "cryptography (raw sign)": lambda batch: bench_cryptography(ca, batch),
            "openssl x509 -req (per cert)": lambda batch: bench_openssl(ca, batch, work),
        }
        seconds: dict[str, list[float]] = {name: [] for name in methods}
        for index in range(chunks):
            batch = csrs[index * size : (index + 1) * size]
            for name in methods if index % 2 == 0 else reversed(methods):
                seconds[name].append(methods[name](batch))
        scaling = index_scaling(work, sizes)
    rows = []
    for name, values in seconds.items():
        total = sum(values)
        rows.append({"method": name, "count": size * chunks, "seconds": round(total, 4),
                     "ms_per_cert": round(1000 * total / (size * chunks), 3),
                     "certs_per_second": round(size * chunks / total, 1),
                     "ms_per_cert_by_round": summary([1000 * v / size for v in values], digits=3)})  # fmt: skip
    core = rows[0]["seconds"]
    for row in rows:
        row["sipxha_time_ratio"] = round(core / row["seconds"], 2)
    return {"benchmark": "ca_sign", "python": platform.python_version(), "machine": platform.machine(),
            "openssl": openssl_version(), "rounds": chunks, "results": rows, "index_scaling": scaling,
            "loadavg": {"start": load_start, "end": [round(value, 2) for value in os.getloadavg()]}}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="index sizes, comma-separated")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "ca_sign.json")
    args = parser.parse_args(argv)
    report = run(args.count, args.rounds, tuple(int(size) for size in args.sizes.split(",")))
    print(f"{'method':32} {'count':>6} {'total s':>9} {'ms/cert':>9} {'certs/s':>9}")
    for row in report["results"]:
        print(f"{row['method']:32} {row['count']:>6} {row['seconds']:>9.3f} {row['ms_per_cert']:>9.3f} "
              f"{row['certs_per_second']:>9.1f}")  # fmt: skip
    scaling = report["index_scaling"]
    print(f"index scaling: ms/cert (ratio to raw cryptography) at each size; {scaling['issued']} issued")
    for row in scaling["rows"]:
        cells = [f"{row['ms_per_cert'][name]['median']:.2f} ({row['ratio_to_raw'][name]['of_medians']:.1f}x)"
                 for name in scaling["window"]]  # fmt: skip
        print(f"  {row['issued_before']:>6} issued: {' | '.join(cells)} | raw {row['ms_per_cert'][RAW]['median']:.3f}")
    print(f"  at the last size / at the first: { {way: v['of_medians'] for way, v in scaling['flat'].items()} }")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.json}")
    return report


if __name__ == "__main__":
    main()
