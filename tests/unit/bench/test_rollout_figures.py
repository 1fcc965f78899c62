"""The rollout benchmark's arithmetic: gaps without an answer, failures per SRV name, the rollout's overhead."""

from __future__ import annotations

import pytest

from benchmarks.rollout import all_down_s, overhead, restart_intervals
from benchmarks.sipload import Answer, any_name_gap, longest_gap, per_name


def test_the_longest_gap_is_between_answers_or_at_either_end_of_the_window():
    assert longest_gap([1.0, 1.1, 2.5, 2.6], 0.9, 3.0) == pytest.approx((1.4, 0.2))
    assert longest_gap([0.1], 0.0, 5.0) == pytest.approx((4.9, 0.1))  # nothing after the first answer
    assert longest_gap([], 10.0, 12.0) == pytest.approx((2.0, 0.0))  # no answer at all: the whole window
    assert longest_gap([9.0, 11.0, 13.0], 10.0, 12.0) == pytest.approx((1.0, 0.0))  # outside the window: ignored


def test_per_name_counts_failed_requests_and_failovers_and_keeps_a_reason():
    answers = [
        Answer("a", 0.0, 0.01, "s1", 1),
        Answer("a", 0.05, None, None, 3, "s3: refused"),
        Answer("a", 0.10, 0.60, "s2", 2),
        Answer("b", 0.0, 0.02, "s1", 1),
        Answer("b", 0.5, None, None, 0, "SRV: LifetimeTimeout"),
    ]
    got = per_name(answers, ["a", "b", "c"], 0.0, 1.0)
    assert got["a"] == {"requests": 3, "failed": 1, "failed_no_dns_answer": 0, "failed_at_s": [0.05], "failovers": 1,
                        "longest_gap_s": 0.59, "longest_gap_at_s": 0.01, "a_failure": "s3: refused"}  # fmt: skip
    assert got["b"]["failed"] == got["b"]["failed_no_dns_answer"] == 1 and got["b"]["longest_gap_s"] == 0.98
    assert got["c"] == {"requests": 0, "failed": 0, "failed_no_dns_answer": 0, "failed_at_s": [], "failovers": 0,
                        "longest_gap_s": 1.0, "longest_gap_at_s": 0.0, "a_failure": None}  # fmt: skip
    assert any_name_gap(answers, 0.0, 1.0) == pytest.approx((0.58, 0.02))  # a's third answer, at 0.60


def test_restart_intervals_and_the_time_every_server_was_down_at_once():
    log = [(1.0, "s2", "begin", "in_dns=False"), (4.0, "s2", "end", ""), (2.0, "s1", "begin", ""),
           (5.0, "s1", "end", ""), (3.5, "s3", "begin", ""), (6.0, "s3", "end", "")]  # fmt: skip
    intervals = restart_intervals(log)
    assert intervals == {"s2": (1.0, 4.0), "s1": (2.0, 5.0), "s3": (3.5, 6.0)}
    assert all_down_s(intervals) == pytest.approx(0.5)  # 3.5 .. 4.0
    assert all_down_s({"s1": (0.0, 1.0), "s2": (2.0, 3.0)}) == 0.0  # one after another
    assert all_down_s({}) == 0.0


def test_overhead_is_what_the_rollout_took_beyond_drain_wait_restart_and_health_per_server():
    got = overhead(20.0, 1.0, {"s1": 3.0, "s2": 3.5}, {"s1": 0.5, "s2": 1.0})
    assert got["budget_by_server_s"] == {"s1": 4.5, "s2": 5.5}
    assert got["budget_s"] == 10.0 and got["servers"] == 2
    assert got["overhead_per_server_s"] == 5.0  # (20 - 10) / 2
