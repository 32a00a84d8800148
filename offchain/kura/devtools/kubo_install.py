"""The Kubo (go-ipfs) binary: one pinned version, built from the Go module proxy, cached.

No prebuilt Kubo is reachable from these machines, so kura builds it once with
the machine's Go and keeps it in ``<cache>/bin/ipfs-<version>`` (outside the
repository, shared by every checkout); later set-ups find it and do nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from kura.devtools.toolrun import run_tool
from kura.errors import SetupError
from kura.paths import cache_dir

KUBO_VERSION = "v0.39.0"
GO_TOOLCHAIN = "go1.25.5"
"""Kubo 0.39's storage engine (cockroachdb/swiss) does not build with Go >= 1.26; Go fetches this
toolchain from the module proxy by itself when GOTOOLCHAIN names it."""


def kubo_binary() -> Path:
    """The Kubo binary to run: ``KURA_KUBO_BIN`` if set, else the cached pinned build.

    Raises:
        SetupError: if it does not exist (run ``make setup``).
    """
    configured = os.environ.get("KURA_KUBO_BIN")
    path = Path(configured) if configured else cache_dir() / "bin" / f"ipfs-{KUBO_VERSION}"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise SetupError(f"Kubo binary missing at {path}: run `make setup` (it builds Kubo {KUBO_VERSION})")
    return path


def ensure_kubo(log: Callable[[str], None] = print) -> Path:
    """Return the pinned Kubo binary, building it first if it is not cached.

    Raises:
        SetupError: if Go is missing or the build fails (with Go's last output lines).
    """
    try:
        return kubo_binary()
    except SetupError:
        pass
    go = shutil.which("go")
    if go is None:
        raise SetupError("Go is needed to build Kubo and is not on PATH: install Go >= 1.21")
    target = cache_dir() / "bin" / f"ipfs-{KUBO_VERSION}"
    target.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOTOOLCHAIN": GO_TOOLCHAIN, "GOFLAGS": "-buildvcs=false"}
    log(f"downloading Kubo {KUBO_VERSION} source from the Go module proxy")
    source = run_tool([go, "mod", "download", "-json", f"github.com/ipfs/kubo@{KUBO_VERSION}"], env=env, cwd=None)
    folder = json.loads(source).get("Dir")
    if not folder:
        raise SetupError(f"go mod download did not return a source folder for Kubo {KUBO_VERSION}: {source}")
    log(f"building Kubo {KUBO_VERSION} with {GO_TOOLCHAIN} (a few minutes, once)")
    partial = target.with_suffix(".partial")
    run_tool([go, "build", "-trimpath", "-o", str(partial), "./cmd/ipfs"], env=env, cwd=Path(folder))
    partial.replace(target)
    return target
