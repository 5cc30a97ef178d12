"""The extraction budget is CPU time, so a loaded server reads as much as a quiet one."""

from __future__ import annotations

import time

from parsers.attachments.common import Deadline


def test_time_spent_waiting_for_the_cpu_does_not_use_up_the_budget() -> None:
    deadline = Deadline(0.2, wall_seconds=30)
    time.sleep(0.4)  # what a loaded machine does to a process: wall time passes, no CPU
    assert not deadline.expired()
    assert deadline.remaining() > 0.1


def test_work_done_uses_up_the_budget() -> None:
    deadline = Deadline(0.2, wall_seconds=30)
    started = time.monotonic()
    while not deadline.expired() and time.monotonic() - started < 20:
        sum(range(10_000))
    assert deadline.expired()
    assert deadline.remaining() == 0


def test_the_wall_clock_bound_still_ends_a_wait_that_burns_no_cpu() -> None:
    deadline = Deadline(10, wall_seconds=0.1)
    time.sleep(0.2)
    assert deadline.expired()
    assert deadline.remaining() == 0 and deadline.child_timeout() == 0


def test_a_child_process_gets_the_cpu_left_stretched_for_a_loaded_machine() -> None:
    deadline = Deadline(2, wall_seconds=30)
    assert 2 < deadline.child_timeout() <= 8
    assert Deadline(2, wall_seconds=3).child_timeout() <= 3
