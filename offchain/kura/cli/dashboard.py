"""``kura dashboard``: serve the institution's dashboard for one account until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import typer

from kura.cli._context import ACCOUNT, NETWORK, NODES, NodeChoice, session
from kura.cli._output import console, warn
from kura.cli._records import SALT_FILE, salt
from kura.errors import DashboardError

LISTEN = typer.Option(
    "127.0.0.1:8080", "--listen", help="HOST:PORT to listen on (loopback by default; port 0 picks a free one)."
)
PURPOSES = typer.Option(
    [], "--purpose", help="A PurposeOfUse code to name on the pages besides the common ones (repeat)."
)


def dashboard(
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    listen: str = LISTEN,
    nodes: NodeChoice = NODES,
    salt_file: Path | None = SALT_FILE,
    purpose: list[str] = PURPOSES,
) -> None:
    """Serve the dashboard of the account's institution in the browser (storage, market, consent, compute, health)."""
    try:
        from kura.dashboard import Settings, serve
        from kura.dashboard.server import Listen
    except ModuleNotFoundError as exc:
        raise DashboardError(
            f"the dashboard needs the 'dashboard' extra ({exc.name} is missing): pip install 'kura[dashboard]'"
        ) from None

    settings = Settings(purposes=tuple(dict.fromkeys((*Settings().purposes, *purpose))), salt=salt(salt_file))
    if not Listen.parse(listen).loopback:
        warn(
            f"{listen} is reachable from other machines: whoever has the printed address can sign as account {account}"
        )
    with session(network, account, nodes) as kura:
        serve(
            kura,
            listen,
            settings=settings,
            announce=lambda url: console.print(
                f"[green]kura dashboard[/] of account {kura.address} on {kura.network.name}: open {url}\n"
                "(the address carries this session's access token; Ctrl-C stops the dashboard)",
                soft_wrap=True,
            ),
        )
