"""The CA benchmark's index scaling on small indexes: the sizes it claims, real signatures, and its report."""

from __future__ import annotations

from benchmarks import ca_sign, report
from saltext_sipxha.core.pki.ca import CertificateAuthority


def test_each_size_is_its_own_index_signed_in_the_same_rounds_and_rendered(tmp_path):
    got = ca_sign.index_scaling(tmp_path, sizes=(10, 30), rounds=1)
    signed = sum(ca_sign.WINDOW.values())
    issued = [(row["issued_before"], row["issued_after"]) for row in got["rows"]]
    assert issued == [(10, 10 + signed), (30, 30 + signed)]
    assert got["issued"] == 30 + signed and got["serials_unique"]
    ca = CertificateAuthority(tmp_path / "ca-30", ca_sign.PASSPHRASE)
    renewed = [minion for minion in (f"node{n}" for n in range(30)) if len(ca.index.of_minion(minion)) == 2]
    assert len(renewed) == signed  # each signature went to a minion that already held one certificate
    assert sum(entry.revoked_at is not None for entry in ca.index.load()) == 1
    assert set(got["flat"]) == set(ca_sign.WINDOW) and all(value["of_medians"] > 0 for value in got["flat"].values())
    text = "\n".join(report.ca_section({"openssl": "OpenSSL", "rounds": 1, "results": [], "index_scaling": got}))
    assert "| 30-38 |" in text and "goal: flat" in text
