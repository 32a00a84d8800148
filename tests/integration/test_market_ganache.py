"""The fair exchange's dispute check relies on the ecrecover precompile answering for a zero message hash;
Ganache (which kura also runs on) must answer as Anvil does."""

from __future__ import annotations

from pathlib import Path

import pytest
from coincurve import PrivateKey

from kura.chain.client import Chain
from kura.config import resolve_network
from kura.market.exchange import N
from tests.contracts.test_secp256k1 import address, high_x_point, times, xy
from tests.integration.ganache_fixtures import DEV_KEYS

pytestmark = pytest.mark.ganache


def test_the_ecrecover_multiplication_check_holds_on_ganache(
    ganache: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KURA_STATE", str(tmp_path))
    monkeypatch.setenv("KURA_RPC_URL", ganache)
    monkeypatch.setenv("KURA_PRIVATE_KEYS", ",".join(DEV_KEYS))
    chain = Chain.connect(resolve_network())
    harness = chain.contract("Secp256k1Harness", chain.deploy("Secp256k1Harness", sender=chain.account(0)).address)
    check = harness.functions.mulMatches
    for a, k in ((2, 3), (0xC0FFEE, N - 1), (N - 2, 0xDEADBEEF)):
        point = xy(PrivateKey.from_int(a).public_key)
        product = times(k, point)
        assert chain.call(check(*point, k, address(product)))
        assert not chain.call(check(*point, k + 1, address(product)))
    high = high_x_point()
    assert not chain.call(check(*high, 3, address(times(3, high))))
