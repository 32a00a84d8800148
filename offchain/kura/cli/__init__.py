"""The ``kura`` command: one command group per domain.

Every group lives in its own module here and is registered below. Errors that
are the user's to fix (``KuraError``) print as one line and exit 1; they never
show a traceback.
"""

from __future__ import annotations

import sys

import typer

from kura.cli import chain, devnet, setup, sim
from kura.cli import compute, node, store, task
from kura.cli import audit, repair
from kura.cli._output import fail
from kura.errors import KuraError

app = typer.Typer(
    name="kura",
    help="kura: confidential self-healing P2P storage and verifiable P2P computing on Ethereum.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(devnet.app, name="devnet")
app.add_typer(store.app, name="store")
app.add_typer(sim.app, name="sim")
app.add_typer(task.app, name="task")
app.add_typer(compute.app, name="compute")
app.add_typer(node.app, name="node")
app.add_typer(audit.app, name="audit")
app.add_typer(repair.app, name="repair")
app.command()(setup.setup)
app.command()(chain.build)
app.command()(chain.deploy)
app.command()(chain.demo)
app.command()(chain.contracts)


def main() -> None:
    """Run the ``kura`` command line, turning kura's errors into one clear line."""
    try:
        app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        fail("aborted", code=130)
    except typer.TyperException as exc:
        # Typer's own (vendored) click usage errors: unknown option, missing file, bad value.
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except KuraError as exc:
        fail(str(exc))
