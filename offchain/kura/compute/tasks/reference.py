"""Plain-Python references of the shipped tasks, and their input encoders.

Each function computes, from the same input bytes, exactly the output bytes the
WebAssembly task returns (formats in the ``.wat`` headers). Tests check the
tasks against them; a requester can use them to check a small result by hand.
"""

from __future__ import annotations

import json
import re
import struct
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

MIN_GROUP_SIZE = 5
"""medical_aggregate leaves out groups with fewer records than this."""

_RECORD = re.compile(rb"(\d{1,3}),([FMX]),([A-Z0-9.]{1,8}),(\d{1,3}),(\d{1,3})")
_U32 = 2**32


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no spaces, the form every shipped task writes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def matmul_input(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]]) -> bytes:
    """Encode two n x n matrices of u32 values as matmul's input.

    Raises:
        ValueError: if the matrices are not both n x n or a value is outside 0..2^32-1.
    """
    n = len(a)
    if any(len(row) != n for row in (*a, *b)) or len(b) != n:
        raise ValueError(f"matmul needs two n x n matrices; got {len(a)} and {len(b)} rows")
    values = [v for matrix in (a, b) for row in matrix for v in row]
    return struct.pack(f"<I{len(values)}I", n, *values)


def matmul(data: bytes) -> bytes:
    """A·B modulo 2^32 (the reference of the ``matmul`` task).

    Raises:
        ValueError: if the input length is not 4 + 8*n*n (the task traps there).
    """
    if len(data) < 4:
        raise ValueError("matmul input is shorter than its 4-byte header")
    (n,) = struct.unpack_from("<I", data)
    if len(data) != 4 + 8 * n * n:
        raise ValueError(f"matmul input for n={n} must be {4 + 8 * n * n} bytes, got {len(data)}")
    flat = struct.unpack_from(f"<{2 * n * n}I", data, 4)
    a, b = flat[: n * n], flat[n * n :]
    c = [sum(a[i * n + k] * b[k * n + j] for k in range(n)) % _U32 for i in range(n) for j in range(n)]
    return struct.pack(f"<{n * n}I", *c)


def textstats(data: bytes) -> bytes:
    """Byte, character, line, word and letter counts (the reference of ``textstats``)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return canonical_json({"invalid_utf8_at": exc.start})
    letters = Counter(chr(byte) for byte in data.lower() if ord("a") <= byte <= ord("z"))
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return canonical_json(
        {"bytes": len(data), "chars": len(text), "letters": dict(letters), "lines": lines, "words": len(data.split())}
    )


def _mean_x(total: int, count: int, scale: int) -> int:
    """The mean times ``scale``, rounded half up, in integers."""
    return (2 * scale * total + count) // (2 * count)


def medical_aggregate(data: bytes) -> bytes:
    """Per-diagnosis count and means with small-cell suppression (the reference of ``medical_aggregate``)."""
    groups: dict[bytes, list[int]] = defaultdict(lambda: [0, 0, 0])
    invalid = 0
    for line in data.split(b"\n"):
        if not line:
            continue
        match = _RECORD.fullmatch(line)
        if match is None:
            invalid += 1
            continue
        group = groups[match[3]]
        group[0] += 1
        group[1] += int(match[4])
        group[2] += int(match[5])
    shown = {
        code.decode("ascii"): {
            "count": count,
            "mean_hba1c_x100": _mean_x(hba1c_x10, count, 10),
            "mean_systolic_bp_x100": _mean_x(bp, count, 100),
        }
        for code, (count, bp, hba1c_x10) in groups.items()
        if count >= MIN_GROUP_SIZE
    }
    return canonical_json({"groups": shown, "invalid_lines": invalid, "suppressed_groups": len(groups) - len(shown)})
