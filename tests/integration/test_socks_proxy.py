"""With a SOCKS5 proxy configured, every request to a storage node goes through it (S9)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from kura.devnet.state import DevnetState
from kura.errors import IpfsError
from kura.ipfs import KuboClient

SocksProxy = Any  # the `socks_proxy` fixture's value, defined in tests/integration/conftest.py


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_ipfs_traffic_goes_through_the_proxy(devnet: DevnetState, socks_proxy: SocksProxy) -> None:
    node = devnet.kubo[2]
    data = secrets.token_bytes(10_000)
    with KuboClient(node.api_url, proxy=socks_proxy.url) as client:
        cid = client.add(data)
        assert client.cat(cid) == data
    assert socks_proxy.relayed_to(_port(node.api_url)) >= 1


def test_a_dead_proxy_is_never_bypassed(devnet: DevnetState, socks_proxy: SocksProxy) -> None:
    socks_proxy.process.stop()
    with (
        KuboClient(devnet.kubo[0].api_url, proxy=socks_proxy.url, timeout=5) as client,
        pytest.raises(IpfsError, match="did not answer"),
    ):
        client.id()
