"""Signing throughput: the sipxha CA core vs raw ``cryptography`` vs ``openssl x509 -req``, in one run.

    python benchmarks/ca_sign.py [--count 500] [--json benchmarks/results/ca_sign.json]

- ``sipxha CA``: :meth:`CertificateAuthority.sign` as the runner calls it per request: CSR parse and
  signature check, policy (key strength, exact names), CA key decryption, serial, certificate, and
  the locked ``index.json`` update (atomic write + fsync). Not included: the runner's pillar compile
  for the caller and Salt's transport.
- ``cryptography``: the same certificate built and signed with an in-memory key, nothing else.
- ``openssl x509 -req``: one ``openssl`` process per certificate (the CA key encrypted, ``-passin``).

CSRs (EC P-256) are made before timing. Prints a table and writes JSON.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from saltext_sipxha.core.pki.ca import CertificateAuthority
from saltext_sipxha.core.pki.names import planned_names, san_extension
from saltext_sipxha.core.pki.servercert import build_csr
from saltext_sipxha.core.settings import PkiSettings

PASSPHRASE = b"benchmark-passphrase"
NAMES = planned_names("example.com", "sipxpbx1.example.com")
EXTFILE = "subjectAltName=URI:sip:example.com,DNS:example.com,DNS:sipxpbx1.example.com\n" \
          "extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\n"  # fmt: skip


def make_csrs(count: int) -> list[str]:
    return [build_csr(ec.generate_private_key(ec.SECP256R1()), "sipxpbx1.example.com", NAMES) for _ in range(count)]


def bench_core(ca: CertificateAuthority, csrs: list[str]) -> float:
    started = time.perf_counter()
    for csr in csrs:
        ca.sign(csr, "sipxpbx1", NAMES, "sipxpbx1.example.com", 365)
    return time.perf_counter() - started


def bench_cryptography(ca: CertificateAuthority, csrs: list[str]) -> float:
    key = serialization.load_pem_private_key(ca.key_path.read_bytes(), PASSPHRASE)
    issuer, now = ca.certificate.subject, datetime.datetime.now(datetime.UTC)
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "ca_sign.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sipxha-bench-") as tmp:
        work = Path(tmp)
        ca = CertificateAuthority(work / "ca", PASSPHRASE)
        ca.create("ca.example.com", PkiSettings(ca_name="ca.example.com"))
        csrs = make_csrs(args.count)
        results = {
            "sipxha CA (runner core)": bench_core(ca, csrs),
            "cryptography (raw sign)": bench_cryptography(ca, csrs),
            "openssl x509 -req (per cert)": bench_openssl(ca, csrs, work),
        }
    rows = [
        {"method": name, "count": args.count, "seconds": round(sec, 4),
         "ms_per_cert": round(1000 * sec / args.count, 3), "certs_per_second": round(args.count / sec, 1)}
        for name, sec in results.items()
    ]  # fmt: skip
    print(f"{'method':32} {'count':>6} {'total s':>9} {'ms/cert':>9} {'certs/s':>9}")
    for row in rows:
        print(f"{row['method']:32} {row['count']:>6} {row['seconds']:>9.3f} {row['ms_per_cert']:>9.3f} "
              f"{row['certs_per_second']:>9.1f}")  # fmt: skip
    report = {"benchmark": "ca_sign", "python": platform.python_version(), "machine": platform.machine(),
              "openssl": openssl_version(),
              "results": rows}  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.json}")
    return report


if __name__ == "__main__":
    main()
