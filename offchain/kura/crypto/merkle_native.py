"""The native Merkle kernel: the Rust crate in ``offchain/native``, built by set-up, loaded through ctypes.

Hashing every 1 KiB chunk of every share is most of what encoding costs; in
Python each chunk costs two hashlib round trips (the leaf and, on average, one
inner node) of interpreter overhead. The crate does the same work with the ``sha2``
crate (which uses the processor's SHA extensions when it has them) without that
overhead (its speed is in ``benchmarks/README.md``), and ctypes releases the GIL
during the call, so the codec's other threads keep running.

``kura setup`` (``make setup``) builds the crate with ``cargo`` into
``build/native/`` (:mod:`kura.devtools.native`). :func:`load` returns ``None`` when the library is not there;
:mod:`kura.crypto.merkle` then warns and uses its Python kernel, which gives the
same roots.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

import numpy as np

from kura.errors import CodecError, SetupError
from kura.paths import native_build_dir

MAX_HEIGHT = 64
"""Subtree slots in a builder state (one per bit of the 64-bit leaf count)."""
SLOT_BYTES = 32
LIBRARY = "libkura_merkle.dylib" if sys.platform == "darwin" else "libkura_merkle.so"
_OK = 0

Buffer = bytes | bytearray | memoryview


def library_path() -> Path:
    """Where set-up puts the built library: ``KURA_MERKLE_LIB`` if set, else ``build/native/release/``."""
    configured = os.environ.get("KURA_MERKLE_LIB")
    return Path(configured) if configured else native_build_dir() / "release" / LIBRARY


class NativeMerkle:
    """``kura_merkle_push_chunks`` of the crate.

    Attributes:
        path: The shared library in use.
    """

    def __init__(self, library: ctypes.CDLL, path: Path) -> None:
        self.path = path
        self._push = library.kura_merkle_push_chunks
        self._push.restype = ctypes.c_int32
        self._push.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_size_t,
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_uint64),
        ]

    def push_chunks(self, data: Buffer, chunk_size: int, slots: bytearray, leaf_count: int) -> int:
        """Push the leaf of every whole chunk of ``data`` into the state ``(slots, leaf_count)``.

        Args:
            data: Bytes whose whole ``chunk_size``-byte chunks become leaves (a partial tail is ignored).
            chunk_size: Bytes per leaf.
            slots: ``MAX_HEIGHT * SLOT_BYTES`` bytes of subtree roots, updated in place.
            leaf_count: Leaves pushed so far.

        Returns:
            The new leaf count.

        Raises:
            CodecError: if ``slots`` has the wrong size or the library refuses the arguments.
        """
        if len(slots) != MAX_HEIGHT * SLOT_BYTES:
            raise CodecError(f"a Merkle builder state has {MAX_HEIGHT * SLOT_BYTES} slot bytes, got {len(slots)}")
        view = np.frombuffer(data, dtype=np.uint8)
        count = ctypes.c_uint64(leaf_count)
        slot_buffer = (ctypes.c_char * len(slots)).from_buffer(slots)
        status = self._push(view.ctypes.data, view.size, chunk_size, ctypes.addressof(slot_buffer), ctypes.byref(count))
        if status != _OK:
            raise CodecError(f"the native Merkle kernel refused chunk size {chunk_size} at leaf {leaf_count}")
        return count.value


def load() -> NativeMerkle | None:
    """Load the built library.

    Returns:
        The kernel, or ``None`` if the library is not built (or this is not a kura checkout).
    """
    try:
        path = library_path()
    except SetupError:
        return None
    try:
        library = ctypes.CDLL(str(path))
    except OSError:
        return None
    if not hasattr(library, "kura_merkle_push_chunks"):
        return None
    return NativeMerkle(library, path)
