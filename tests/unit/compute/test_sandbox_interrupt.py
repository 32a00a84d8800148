"""A run that would outlast its window is stopped: at a wall-clock limit, and at Ctrl-C, even inside the guest."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from wasmtime import wat2wasm

from kura.compute.sandbox import Sandbox
from kura.errors import RunInterrupted

ENDLESS = bytes(
    wat2wasm("""(module
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0)))""")
)
HOURS_OF_FUEL = 10**13


def test_a_run_stops_at_its_wall_clock_limit() -> None:
    started = time.monotonic()
    with pytest.raises(RunInterrupted, match=r"0\.3 s"):
        Sandbox().run(ENDLESS, b"x", fuel=HOURS_OF_FUEL, wall_clock=0.3)
    assert time.monotonic() - started < 2


def test_ctrl_c_stops_a_run_inside_the_guest() -> None:
    script = (
        "import sys; from kura.compute.sandbox import Sandbox; from tests.unit.compute.test_sandbox_interrupt "
        f"import ENDLESS; print('running', flush=True); Sandbox().run(ENDLESS, b'x', fuel={HOURS_OF_FUEL})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "running\n"
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode != 0 and "KeyboardInterrupt" in stderr
