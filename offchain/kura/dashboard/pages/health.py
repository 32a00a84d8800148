"""Health: the network (chain, contracts, the devnet's processes), the node agents' and repairers' last signs of
life on chain, and the balances of this account and its institution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web3 import Web3

from kura.dashboard.pages import Page, Panel, View
from kura.devnet import manager
from kura.errors import DevnetError


def network(view: View) -> Mapping[str, Any]:
    """The chain, the deployment, and (on the devnet this dashboard uses) each devnet process."""
    kura = view.kura
    try:
        state, processes = manager.status()
        devnet = processes if state.chain.rpc_url == kura.network.rpc_url else []
    except DevnetError:
        devnet = []
    return {
        "network": kura.network.name,
        "rpc_url": kura.network.rpc_url,
        "chain_id": kura.chain.chain_id,
        "block": kura.chain.w3.eth.block_number,
        "now": view.now,
        "contracts": sorted((name, d.address, d.block) for name, d in kura.deployment.contracts.items()),
        "devnet": devnet,
    }


def agents(view: View) -> Mapping[str, Any]:
    """Every registered node with its last action of its own on chain (repairs included)."""
    beats = view.kura.nodes.heartbeats()
    rows = [{"record": record, "beat": beats.get(record.address)} for record in view.kura.nodes.registered()]
    return {"rows": rows, "now": view.now}


def balances(view: View) -> Mapping[str, Any]:
    """Ether held by this account (and the institution's payout address), and what each contract owes them."""
    kura = view.kura
    holders = {kura.address: "this account"}
    if view.me is not None and view.me.payout.lower() != kura.address.lower():
        holders[view.me.payout] = "institution payout"
    owing = [
        (name, client)
        for name, client in (
            ("DataMarket", "market"),
            ("TaskMarket", "tasks"),
            ("NodeRegistry", "nodes"),
            ("StorageAudits", "audits"),
        )
        if name in kura.deployment.contracts
    ]
    rows = [
        {
            "address": address,
            "role": role,
            "balance": kura.chain.w3.eth.get_balance(Web3.to_checksum_address(address)),
            "owed": {name: getattr(kura.contracts, client).payments(address) for name, client in owing},
        }
        for address, role in holders.items()
    ]
    return {"rows": rows, "contracts": [name for name, _ in owing]}


PAGE = Page(
    "health",
    "Health",
    "Network status, node agents and repairers, balances.",
    (
        Panel("network", "Network", network),
        Panel("agents", "Node agents and repairers", agents),
        Panel("balances", "Balances", balances),
    ),
)
