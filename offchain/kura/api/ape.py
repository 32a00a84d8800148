"""kura on ape's selected network: what the ``ape run`` scripts in ``scripts/`` share.

ape chooses the chain (``--network``) and funds its test accounts; kura signs with those accounts' keys over
ape's provider. The IPFS nodes are kura's own: ``KURA_IPFS_APIS``, else the Kubo nodes ``kura devnet up``
recorded::

    import kura
    from kura.api.ape import ape_chain, ape_network, reported

    with reported(), kura.connect(ape_network(), chain=ape_chain()) as k:
        k.storage.put("scan.dcm")

ape is an extra (``kura[ape]``): it is imported when these functions are called, not with this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from kura.chain.client import AccountSource, Chain
from kura.config import NetworkConfig
from kura.devnet.state import read_state
from kura.errors import ConfigError, KuraError


def _provider() -> Any:
    from ape import networks

    provider = networks.active_provider
    if provider is None or not provider.is_connected:
        raise ConfigError("ape is connected to no network: run this through `ape run <script> --network <choice>`")
    return provider


def ape_chain() -> Chain:
    """A chain connection over ape's provider, signing as ape's test accounts (account ``i`` of the connection
    is ``accounts.test_accounts[i]``).

    Raises:
        ConfigError: if ape is not connected to a network.
    """
    from ape import accounts

    provider = _provider()
    keys = [account.private_key for account in accounts.test_accounts]
    return Chain(provider.web3, AccountSource(keys), rpc_url=provider.http_uri or "")


def ape_network() -> NetworkConfig:
    """ape's selected network as kura describes one: ape's network choice and RPC URL, and the IPFS nodes from
    ``KURA_IPFS_APIS`` (comma-separated), else those of the recorded devnet, else none (storage and tasks then
    say where to get some).

    Raises:
        ConfigError: if ape is not connected to a network.
    """
    provider = _provider()
    configured = os.environ.get("KURA_IPFS_APIS", "")
    apis = tuple(api.strip() for api in configured.split(",") if api.strip())
    if not apis and (devnet := read_state()) is not None:
        apis = tuple(node.api_url for node in devnet.kubo)
    return NetworkConfig(name=provider.network_choice, rpc_url=provider.http_uri or "", ipfs_apis=apis)


@contextmanager
def reported() -> Iterator[None]:
    """Turn a :class:`~kura.errors.KuraError` into a click error: ``Error: <what went wrong and what to do>`` and
    exit status 1, instead of a traceback."""
    try:
        yield
    except KuraError as exc:
        raise click.ClickException(str(exc)) from exc
