"""A private state folder for a run that starts its own devnet (the demo, the soak test, benchmarks)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def private_state() -> Iterator[Path]:
    """Point ``KURA_STATE`` at a fresh temporary folder for the duration of the block."""
    previous = os.environ.get("KURA_STATE")
    with tempfile.TemporaryDirectory(prefix="kura-demo-") as folder:
        os.environ["KURA_STATE"] = folder
        try:
            yield Path(folder)
        finally:
            if previous is None:
                os.environ.pop("KURA_STATE", None)
            else:
                os.environ["KURA_STATE"] = previous
