"""Defect 8 of issue 14 through the public API: a new network gets its first compute node from the genesis set named
at deployment (``kura deploy --genesis-compute``), with no judge and no spot-check history; nobody else skips the
probation."""

from __future__ import annotations

import pytest

import kura
from kura.errors import ContractRevertError
from tests.integration.conftest import private_deployment

GENESIS, STRANGER = 21, 22


def test_a_genesis_node_is_promoted_once_without_a_history_and_a_stranger_is_not(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with (
        private_deployment(tmp_path_factory, genesis_compute=(GENESIS,)) as network,
        kura.connect(network, STRANGER) as stranger,
    ):
        genesis = stranger.as_account(GENESIS)
        for node in (genesis, stranger):
            node.nodes.register(network.ipfs_apis[0], stake="1")
        assert stranger.contracts.nodes.params().genesis_compute == (genesis.address,)
        with pytest.raises(ContractRevertError, match="NotPromotable"):
            stranger.nodes.promote()
        promoted = stranger.nodes.promote(genesis.address)
        assert (promoted.role, promoted.passed) == ("COMPUTE", 0)
