"""Where kura keeps its files: the project checkout, its build and state folders, the tool cache.

Every location can be moved with an environment variable, so tests and several
devnets can live side by side:

- ``KURA_PROJECT``: the checkout holding ``contracts/`` and ``node_modules/``
  (default: the checkout this package was installed from).
- ``KURA_STATE``: devnet processes, logs and the deployments file (default ``<project>/.state`` in a
  checkout, else ``$XDG_STATE_HOME/kura`` or ``~/.local/state/kura`` for an installed package).
- ``KURA_CACHE``: built tools such as the Kubo binary (default ``~/.cache/kura``).
"""

from __future__ import annotations

import os
from pathlib import Path

from kura.errors import SetupError


def project_root() -> Path:
    """The kura checkout (the folder holding ``contracts/``).

    Raises:
        SetupError: if neither ``KURA_PROJECT`` nor the package location points at a checkout.
    """
    configured = os.environ.get("KURA_PROJECT")
    root = Path(configured) if configured else Path(__file__).resolve().parents[2]
    if not (root / "contracts").is_dir():
        raise SetupError(f"{root} is not a kura checkout (no contracts/ folder): set KURA_PROJECT to the checkout")
    return root


def state_dir() -> Path:
    """Folder for devnet state, logs and deployments (created on demand)."""
    configured = os.environ.get("KURA_STATE")
    if configured:
        path = Path(configured)
    else:
        try:
            path = project_root() / ".state"
        except SetupError:
            path = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "kura"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Folder for built tools shared by every checkout (created on demand)."""
    configured = os.environ.get("KURA_CACHE")
    path = Path(configured) if configured else Path.home() / ".cache" / "kura"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_dir() -> Path:
    """Folder for every compiled contract's artifact (test harnesses included), in the checkout."""
    return project_root() / "build" / "contracts"


def package_artifacts_dir() -> Path:
    """The artifacts installed with the package: ABI and bytecode of each contract kura deploys, written by
    ``kura build`` and shipped as package data, so a wheel talks to a chain outside any checkout."""
    return Path(__file__).resolve().parent / "chain" / "artifacts"


def native_build_dir() -> Path:
    """Cargo's target folder for the native Merkle kernel."""
    return project_root() / "build" / "native"


def node_bin(tool: str) -> Path:
    """Path of an executable installed by ``npm`` into ``node_modules/.bin``.

    Raises:
        SetupError: if the tool is not installed.
    """
    path = project_root() / "node_modules" / ".bin" / tool
    if not path.exists():
        raise SetupError(f"{tool} is not installed ({path} is missing): run `make setup`")
    return path
