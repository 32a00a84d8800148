"""A command's own peak memory, not its parent's: a forked child's peak RSS starts at the parent's resident size
(the CI run that measured a 256 MiB put from inside a 514 MiB pytest process reported 514 MiB for the put)."""

from __future__ import annotations

import sys

import pytest

from kura.devtools.process_usage import measure

MIB = 1 << 20
ALLOCATE = "import sys; b = bytearray({size} << 20); b[::4096] = b'\\1' * len(b[::4096]); sys.exit({code})"


def touched(size: int) -> bytearray:
    """``size`` bytes, every page of them resident."""
    block = bytearray(size)
    block[::4096] = b"\1" * len(block[::4096])
    return block


def test_a_small_command_started_by_a_large_process_is_measured_small() -> None:
    ballast = touched(400 * MIB)
    measured = measure([sys.executable, "-c", "pass"])
    assert len(ballast) == 400 * MIB
    assert measured.peak_bytes < 100 * MIB, f"{measured.peak_bytes / MIB:.0f} MiB"


def test_an_earlier_large_child_does_not_count() -> None:
    assert measure([sys.executable, "-c", ALLOCATE.format(size=300, code=0)]).peak_bytes >= 300 * MIB
    assert measure([sys.executable, "-c", "pass"]).peak_bytes < 100 * MIB


def test_the_exit_code_and_the_output_are_the_commands() -> None:
    measured = measure([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"])
    assert (measured.returncode, measured.stdout, measured.stderr) == (3, "out\n", "err\n")
    assert measured.wall > 0 and measured.cpu > 0


def test_a_command_over_its_time_is_stopped() -> None:
    with pytest.raises(TimeoutError, match=r"still running after 0\.5 s"):
        measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
