"""``make demo`` starts by printing the plan of pillar.example: that part runs without daemons."""

from __future__ import annotations

from pathlib import Path

from demo import show

REPO = Path(__file__).resolve().parents[2]


def test_demo_prints_the_plan_of_pillar_example(capsys):
    show.plan_of(REPO / "pillar.example")
    out = capsys.readouterr().out
    assert "sipxpbx1 (master, index 1) sipxpbx1.example.com 192.0.2.11" in out
    assert "sipxpbx2 (distributed, index 2)" in out
    assert "CONFIG_SERVER_ADDR = sipxpbx1.example.com" in out
    assert "SIP_REGISTRAR_SYNC_WITH = sipxpbx1.example.com, sipxpbx2.example.com" in out
