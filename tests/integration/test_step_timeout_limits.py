"""A step that waits by design for a runbook parameter is not cut short by --step-timeout.

``online_timeout_s`` may be up to 3600 s, ``--step-timeout`` defaults to 600 s: a 900 s
bring-online wait was ended at 600 s as a timed-out step, after every change before it.
Now such a step's own timeout is its wait plus 30 s, and the run says so before it
starts; other steps keep ``--step-timeout``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from psrunbook.execution.session import ExecutionLimits
from psrunbook.runbook.model import STEP_WORK_MARGIN_S, Step, Target

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration


def test_a_step_that_waits_gets_its_wait_and_the_others_keep_the_cap() -> None:
    waits = Step("w", "W", "t.ps1.j2", Target.ANY_NODE, waits_up_to_s=900)
    plain = Step("p", "P", "t.ps1.j2", Target.ANY_NODE)
    cap = ExecutionLimits().step_timeout_s
    assert 900 + STEP_WORK_MARGIN_S == waits.timeout_s(cap)
    assert cap == plain.timeout_s(cap)
    assert 2000 == waits.timeout_s(2000)


def test_the_run_says_which_step_may_take_longer_than_the_step_timeout(
    psrunbook: Psrunbook,
) -> None:
    ran = psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", "online_timeout_s=900")
    assert (
        "note: step 10-bring-online may take up to 930 s on a node (it waits up to 900 s, "
        "set by online_timeout_s, plus 30 s), longer than the default --step-timeout 600 s"
    ) in " ".join(ran.stdout.split())
    assert "succeeded" == psrunbook.last_run().outcome
    quiet = psrunbook("run", "ssis-clustered", "--sim", "--yes", "--step-timeout", "930",
                      "-p", "online_timeout_s=900")  # fmt: skip
    assert "note: step" not in quiet.stdout
    planned = psrunbook("plan", "ssis-clustered", "--sim", "-p", "online_timeout_s=900")
    assert "note: step" not in planned.stdout


def test_a_step_timeout_the_operator_gave_caps_every_step_and_says_so(
    psrunbook: Psrunbook,
) -> None:
    capped = psrunbook("run", "ssis-clustered", "--sim", "--yes", "--step-timeout", "60",
                       "-p", "online_timeout_s=900")  # fmt: skip
    assert (
        "note: step 10-bring-online waits up to 900 s, set by online_timeout_s, but "
        "--step-timeout 60 s ends it first: give --step-timeout 930 or more to let it wait"
    ) in " ".join(capped.stdout.split())


def test_the_drill_counts_each_of_its_waits(psrunbook: Psrunbook) -> None:
    """A move step waits for a Pending group, the move and a start: three waits."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    ran = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", "-p", "online_timeout_s=200")
    assert (
        "may take up to 630 s on a node (it waits up to 600 s, set by online_timeout_s"
        in " ".join(ran.stdout.split())
    )
