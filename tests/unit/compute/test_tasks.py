"""The shipped tasks: reproducible builds, known answers, and agreement with the Python references."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.compute import tasks
from kura.compute.sandbox import Sandbox, SandboxLimits, TaskStatus
from kura.compute.tasks import build, reference
from kura.errors import SandboxError

LIMITS = SandboxLimits(fuel=10**9, memory_bytes=16 * 2**20, output_bytes=2**20)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(LIMITS)


def run_ok(sandbox: Sandbox, name: str, data: bytes) -> bytes:
    outcome = sandbox.run(tasks.load(name), data)
    assert outcome.status is TaskStatus.OK, outcome.detail
    return outcome.output


@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_committed_wasm_is_a_fresh_build_of_its_source(name: str) -> None:
    assert tasks.load(name) == build.compile_task(name)


def test_build_check_reports_the_tasks_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["--check"]) == 0
    assert "differs" not in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_every_shipped_task_follows_the_abi(sandbox: Sandbox, name: str) -> None:
    sandbox.compile(tasks.load(name), entry=tasks.TASKS[name].entry)
    assert '(func (export "run")' in tasks.source(name)


def test_unknown_task_names_are_refused() -> None:
    with pytest.raises(SandboxError, match="matmul"):
        tasks.load("../sandbox")


# --- matmul -----------------------------------------------------------------

U32 = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def matrix_pairs(draw: st.DrawFn) -> tuple[list[list[int]], list[list[int]]]:
    n = draw(st.integers(min_value=0, max_value=6))
    square = st.lists(st.lists(U32, min_size=n, max_size=n), min_size=n, max_size=n)
    return draw(square), draw(square)


@settings(max_examples=60, deadline=None)
@given(pair=matrix_pairs())
def test_matmul_matches_the_python_reference(sandbox: Sandbox, pair: tuple[list[list[int]], list[list[int]]]) -> None:
    data = reference.matmul_input(*pair)
    assert run_ok(sandbox, "matmul", data) == reference.matmul(data)


def test_matmul_known_answer(sandbox: Sandbox) -> None:
    data = reference.matmul_input([[1, 2], [3, 4]], [[5, 6], [7, 8]])
    assert np.frombuffer(run_ok(sandbox, "matmul", data), "<u4").tolist() == [19, 22, 43, 50]
    assert run_ok(sandbox, "matmul", reference.matmul_input([], [])) == b""


def test_matmul_wraps_like_numpy_uint32(sandbox: Sandbox) -> None:
    rng = np.random.default_rng(5)
    a, b = (rng.integers(0, 2**32, size=(33, 33), dtype=np.uint64).astype(np.uint32) for _ in range(2))
    out = np.frombuffer(run_ok(sandbox, "matmul", reference.matmul_input(a.tolist(), b.tolist())), "<u4")
    assert np.array_equal(out.reshape(33, 33), a @ b)


@pytest.mark.parametrize("data", [b"", b"\x01\x00\x00", b"\x01\x00\x00\x00" + bytes(7), b"\x00\x00\x01\x00"])
def test_matmul_traps_on_malformed_input(sandbox: Sandbox, data: bytes) -> None:
    outcome = sandbox.run(tasks.load("matmul"), data)
    assert (outcome.status, outcome.code) == (TaskStatus.TRAP, "UNREACHABLE")
    with pytest.raises(ValueError):
        reference.matmul(data)


# --- textstats --------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda s: s.encode("utf-8"))))
def test_textstats_matches_the_python_reference(sandbox: Sandbox, data: bytes) -> None:
    assert run_ok(sandbox, "textstats", data) == reference.textstats(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", {"bytes": 0, "chars": 0, "letters": {}, "lines": 0, "words": 0}),
        (
            "Ünï code\tZ\n\n".encode(),
            {
                "bytes": 14,
                "chars": 12,
                "letters": {"c": 1, "d": 1, "e": 1, "n": 1, "o": 1, "z": 1},
                "lines": 2,
                "words": 3,
            },
        ),
        (b"\xf0\x9f\x98\x80 x", {"bytes": 6, "chars": 3, "letters": {"x": 1}, "lines": 1, "words": 2}),
    ],
)
def test_textstats_known_answers(sandbox: Sandbox, data: bytes, expected: dict[str, object]) -> None:
    assert json.loads(run_ok(sandbox, "textstats", data)) == expected


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b"ok\xc0\x80", 2),  # overlong NUL
        (b"\xed\xa0\x80", 0),  # UTF-16 surrogate
        (b"a\xf4\x90\x80\x80", 1),  # above U+10FFFF
        (b"\xe0\x9f\xbf", 0),  # overlong 3-byte
        (b"\xf0\x8f\xbf\xbf", 0),  # overlong 4-byte
        (b"abc\xe2\x82", 3),  # truncated at the end
        (b"\x80", 0),  # lone continuation
        (b"\xe2\x82\xac\xf8", 3),  # byte never used in UTF-8
    ],
)
def test_textstats_reports_the_first_ill_formed_sequence(sandbox: Sandbox, data: bytes, offset: int) -> None:
    assert run_ok(sandbox, "textstats", data) == b'{"invalid_utf8_at":%d}' % offset == reference.textstats(data)


# --- medical_aggregate ------------------------------------------------------

CODES = ["E11", "E11.9", "I10", "J45", "A", "A0", "A.", "Z99.89XY"]
VALID_RECORD = st.builds(
    lambda age, sex, code, bp, hb: f"{age},{sex},{code},{bp},{hb}",
    st.integers(0, 999),
    st.sampled_from("FMX"),
    st.sampled_from(CODES),
    st.integers(0, 999),
    st.integers(0, 999),
)
BROKEN_RECORD = st.one_of(
    st.sampled_from(
        [
            "",
            "age,sex,diagnosis_code,systolic_bp,hba1c_x10",
            "40,F,E11,130,70,1",
            "40,f,E11,130,70",
            "40,F,e11,130,70",
            "1000,F,E11,130,70",
            "40,F,E11,130,",
            "40,F,,130,70",
            "40,F,E11.99999,1,1",
            "40,F,E11,130,70\r",
            " 40,F,E11,130,70",
            "40,FM,E11,130,70",
            ",,,,",
            "40",
            "40,F",
        ]
    ),
    st.text(alphabet="0123456789,FMXE.I\r ", max_size=20),
)


@settings(max_examples=120, deadline=None)
@given(
    lines=st.lists(st.one_of(VALID_RECORD, VALID_RECORD, VALID_RECORD, BROKEN_RECORD), max_size=60),
    trailing_newline=st.booleans(),
)
def test_medical_aggregate_matches_the_python_reference(
    sandbox: Sandbox, lines: list[str], trailing_newline: bool
) -> None:
    data = ("\n".join(lines) + ("\n" if trailing_newline else "")).encode("ascii")
    assert run_ok(sandbox, "medical_aggregate", data) == reference.medical_aggregate(data)


def test_medical_aggregate_known_answer(sandbox: Sandbox) -> None:
    records = ["40,F,E11.9,130,70"] * 5 + ["50,M,I10,141,55"] * 6 + ["60,M,I10,150,60", "1,F,A,1,1", "bad"]
    result = json.loads(run_ok(sandbox, "medical_aggregate", "\n".join(records).encode()))
    assert result == {
        "groups": {
            "E11.9": {"count": 5, "mean_hba1c_x100": 700, "mean_systolic_bp_x100": 13000},
            # (6*141 + 150) / 7 = 142.2857 mmHg; (6*5.5 + 6.0) / 7 = 5.5714 %
            "I10": {"count": 7, "mean_hba1c_x100": 557, "mean_systolic_bp_x100": 14229},
        },
        "invalid_lines": 1,
        "suppressed_groups": 1,
    }


@pytest.mark.parametrize("size", [reference.MIN_GROUP_SIZE - 1, reference.MIN_GROUP_SIZE])
def test_medical_aggregate_suppresses_small_groups(sandbox: Sandbox, size: int) -> None:
    result = json.loads(run_ok(sandbox, "medical_aggregate", b"33,X,J45,120,61\n" * size))
    shown = size >= reference.MIN_GROUP_SIZE
    assert ("J45" in result["groups"]) is shown
    assert result["suppressed_groups"] == (0 if shown else 1)


def test_medical_aggregate_of_nothing(sandbox: Sandbox) -> None:
    assert run_ok(sandbox, "medical_aggregate", b"") == b'{"groups":{},"invalid_lines":0,"suppressed_groups":0}'
    assert run_ok(sandbox, "medical_aggregate", b"\n\n") == b'{"groups":{},"invalid_lines":0,"suppressed_groups":0}'


def test_medical_aggregate_handles_many_distinct_groups(sandbox: Sandbox) -> None:
    records = [f"50,F,C{i % 700:03d},{100 + i % 50},{50 + i % 30}" for i in range(7000)]
    data = "\n".join(records[::-1]).encode()
    assert run_ok(sandbox, "medical_aggregate", data) == reference.medical_aggregate(data)


# --- determinism ------------------------------------------------------------

INPUTS = {
    "matmul": reference.matmul_input(
        [[i * j + 7 for j in range(20)] for i in range(20)], [[i + 3 * j for j in range(20)] for i in range(20)]
    ),
    "textstats": ("kura 蔵 storehouse\n" * 200).encode(),
    "medical_aggregate": b"".join(b"%d,F,E1%d,12%d,6%d\n" % (i % 90, i % 4, i % 10, i % 7) for i in range(500)),
}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_shipped_tasks_are_deterministic_across_engines(name: str) -> None:
    runs = [Sandbox(LIMITS).run(tasks.load(name), INPUTS[name]) for _ in range(3)]
    assert runs[0].status is TaskStatus.OK
    assert runs[0] == runs[1] == runs[2]


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_shipped_tasks_run_out_of_fuel_identically(name: str) -> None:
    full = Sandbox(LIMITS).run(tasks.load(name), INPUTS[name]).fuel_used
    short = [Sandbox(LIMITS).run(tasks.load(name), INPUTS[name], fuel=full // 2) for _ in range(2)]
    assert short[0].status is TaskStatus.OUT_OF_FUEL
    assert short[0].commitment_bytes() == short[1].commitment_bytes()
    assert Sandbox(LIMITS).run(tasks.load(name), INPUTS[name], fuel=full).status is TaskStatus.OK
