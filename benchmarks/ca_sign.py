"""Signing throughput: the sipxha CA core vs raw ``cryptography`` vs ``openssl x509 -req``, in one run.

    python benchmarks/ca_sign.py [--count 500] [--rounds 5] [--scale 10000] [--json benchmarks/results/ca_sign.json]

- ``sipxha CA``: :meth:`CertificateAuthority.sign` as the runner calls it per request (a new CA object
  each time): CSR parse and signature check, policy (key strength, exact names, rate limit), CA key
  decryption, serial, certificate, and the locked index update (one record file + one log line, fsync).
  Not included: the runner's pillar compile for the caller and Salt's transport.
- ``cryptography``: the same certificate built and signed with an in-memory key, nothing else.
- ``openssl x509 -req``: one ``openssl`` process per certificate (the CA key encrypted, ``-passin``).

CSRs (EC P-256) are made before timing; the methods take turns on batches of ``count / rounds`` CSRs
(order alternating), so machine noise hits all three alike. Then ``index scaling``: ``--scale``
certificates signed by one CA object (key decrypted once) in blocks of a tenth, ms/cert per block: flat
when the index costs the same at any size. Prints tables and writes JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
from benchmarks.stats import summary  # noqa: E402
from saltext_sipxha.core.pki.ca import CertificateAuthority  # noqa: E402
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


def index_scaling(work: Path, count: int, blocks: int = 10) -> dict:
    """ms per certificate in each of ``blocks`` consecutive blocks of ``count`` signatures (one CA object)."""
    ca = CertificateAuthority(work / "scale-ca", PASSPHRASE)
    ca.create("ca.example.com", PkiSettings(ca_name="ca.example.com"))
    size = max(1, count // blocks)
    per_block = []
    for _ in range(blocks):
        csrs = make_csrs(size)
        started = time.perf_counter()
        for csr in csrs:
            ca.sign(csr, "sipxpbx1", NAMES, "sipxpbx1.example.com", 365, renew_days=30)
        per_block.append(round(1000 * (time.perf_counter() - started) / size, 3))
    issued = len(list((ca.dir / "issued").glob("*.json")))
    first, last = per_block[0], per_block[-1]
    return {"count": size * blocks, "issued": issued, "block": size, "ms_per_cert_by_block": per_block,
            "ratio_last_first": round(last / first, 2), "ms_per_cert_max": max(per_block)}  # fmt: skip


def bench_cryptography(ca: CertificateAuthority, csrs: list[str]) -> float:
    key = serialization.load_pem_private_key(ca.key_path.read_bytes(), PASSPHRASE)
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


def run(count: int = 500, chunks: int = 5, scale: int = 10000) -> dict:
    """Sign ``count`` CSRs with each method, in ``chunks`` interleaved rounds; per-round ms/cert and totals."""
    size = max(1, count // chunks)
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
        scaling = index_scaling(work, scale)
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
            "openssl": openssl_version(), "rounds": chunks, "results": rows, "index_scaling": scaling}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=int, default=10000)
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "ca_sign.json")
    args = parser.parse_args(argv)
    report = run(args.count, args.rounds, args.scale)
    print(f"{'method':32} {'count':>6} {'total s':>9} {'ms/cert':>9} {'certs/s':>9}")
    for row in report["results"]:
        print(f"{row['method']:32} {row['count']:>6} {row['seconds']:>9.3f} {row['ms_per_cert']:>9.3f} "
              f"{row['certs_per_second']:>9.1f}")  # fmt: skip
    scaling = report["index_scaling"]
    print(f"index scaling, ms/cert per block of {scaling['block']}: {scaling['ms_per_cert_by_block']} "
          f"(last/first {scaling['ratio_last_first']}x, {scaling['issued']} issued)")  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.json}")
    return report


if __name__ == "__main__":
    main()
