"""The fast GF(2^8) matrix kernel: Intel ISA-L's ``ec_encode_data`` through ctypes.

ISA-L multiplies an arbitrary ``rows × k`` matrix over GF(2^8) (polynomial
0x11D, the field of :mod:`kura.codes.gf256`) by ``k`` byte vectors with
SSE/AVX2/AVX-512/GFNI kernels chosen at run time for the processor. Two copies
of the library are looked for, in this order:

1. the one bundled in the ``pyeclib`` wheel (a project dependency, so
   ``pip install`` alone sets it up): ``site-packages/pyeclib.libs/libisal-*.so*``;
2. the system's ``libisal`` (Debian's ``libisal2``).

:func:`load` returns ``None`` when neither is there; :mod:`kura.codes.gf256`
then warns and falls back to its numpy reference kernel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
from pathlib import Path

import numpy as np

_WORKING_SET_BYTES = 1 << 20
"""Bytes of input plus output rows touched per call to ``ec_encode_data``: about a
quarter of this machine's L2, so each block of input stays cached while ISA-L
sweeps it once per group of output rows (measured best at 8x8, 8x56, 56x8)."""

_MIN_BLOCK_BYTES = 4096

_TABLE_BYTES_PER_ENTRY = 32
"""``ec_init_tables`` expands each matrix entry into 32 bytes of lookup tables."""

_POINTERS = ctypes.POINTER(ctypes.c_void_p)


def _candidate_paths() -> list[str]:
    candidates: list[str] = []
    spec = importlib.util.find_spec("pyeclib")
    if spec is not None and spec.origin is not None:
        libs = Path(spec.origin).resolve().parent.parent / "pyeclib.libs"
        candidates.extend(str(path) for path in sorted(libs.glob("libisal*.so*")))
    system = ctypes.util.find_library("isal")
    if system is not None:
        candidates.append(system)
    return candidates


class IsalKernel:
    """``matrix · data`` over GF(2^8) by ISA-L's ``ec_init_tables`` + ``ec_encode_data``.

    Attributes:
        path: The shared library in use.
    """

    def __init__(self, library: ctypes.CDLL, path: str) -> None:
        self.path = path
        self._init_tables = library.ec_init_tables
        self._init_tables.restype = None
        self._init_tables.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
        self._encode = library.ec_encode_data
        self._encode.restype = None
        self._encode.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, _POINTERS, _POINTERS]

    def tables(self, matrix: np.ndarray) -> np.ndarray:
        """Expand a ``uint8`` ``(r, c)`` matrix (both dimensions > 0) into ISA-L's lookup tables."""
        rows, inner = matrix.shape
        coefficients = np.ascontiguousarray(matrix)
        tables = np.empty(_TABLE_BYTES_PER_ENTRY * rows * inner, dtype=np.uint8)
        self._init_tables(inner, rows, coefficients.ctypes.data, tables.ctypes.data)
        return tables

    def run(self, tables: np.ndarray, length: int, sources: np.ndarray, targets: np.ndarray) -> None:
        """Write ``matrix · source rows`` into the target rows, given by address.

        The caller guarantees that every address is the start of ``length``
        writable (targets) or readable (sources) bytes that it keeps alive, and that
        targets overlap neither each other nor the sources.

        Args:
            tables: From :meth:`tables` for an ``(r, c)`` matrix.
            length: Bytes per row.
            sources: ``int64`` addresses of the ``c`` input rows.
            targets: ``int64`` addresses of the ``r`` output rows.
        """
        inner, rows = sources.size, targets.size
        source_block = np.empty(inner, dtype=np.int64)
        target_block = np.empty(rows, dtype=np.int64)
        source_pointers = source_block.ctypes.data_as(_POINTERS)
        target_pointers = target_block.ctypes.data_as(_POINTERS)
        block = max(_MIN_BLOCK_BYTES, (_WORKING_SET_BYTES // (rows + inner)) & ~63)
        for start in range(0, length, block):
            np.add(sources, start, out=source_block)
            np.add(targets, start, out=target_block)
            self._encode(min(block, length - start), inner, rows, tables.ctypes.data, source_pointers, target_pointers)


def load() -> IsalKernel | None:
    """Find and load ISA-L.

    Returns:
        The kernel, or ``None`` if no copy of ISA-L with ``ec_encode_data`` can be loaded.
    """
    for path in _candidate_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(library, "ec_init_tables") and hasattr(library, "ec_encode_data"):
            return IsalKernel(library, path)
    return None
