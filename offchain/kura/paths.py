"""Where kura keeps its files: the project checkout, its build and state folders, the tool cache.

Every location can be moved with an environment variable, so tests and several
devnets can live side by side:

- ``KURA_PROJECT``: the checkout holding ``contracts/`` and ``node_modules/``
  (default: the checkout this package was installed from).
- ``KURA_STATE``: devnet processes, logs and the deployments file (default ``<project>/.state``).
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
        raise SetupError(
            f"{root} is not a kura checkout (no contracts/ folder): set KURA_PROJECT to the checkout"
        )
    return root


def state_dir() -> Path:
    """Folder for devnet state, logs and deployments (created on demand)."""
    configured = os.environ.get("KURA_STATE")
    path = Path(configured) if configured else project_root() / ".state"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Folder for built tools shared by every checkout (created on demand)."""
    configured = os.environ.get("KURA_CACHE")
    path = Path(configured) if configured else Path.home() / ".cache" / "kura"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_dir() -> Path:
    """Folder for compiled contract artifacts."""
    return project_root() / "build" / "contracts"


def node_bin(tool: str) -> Path:
    """Path of an executable installed by ``npm`` into ``node_modules/.bin``.

    Raises:
        SetupError: if the tool is not installed.
    """
    path = project_root() / "node_modules" / ".bin" / tool
    if not path.exists():
        raise SetupError(f"{tool} is not installed ({path} is missing): run `make setup`")
    return path
