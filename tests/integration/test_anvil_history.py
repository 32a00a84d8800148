"""The devnet's Anvil keeps every block, receipt and log, but only the last ``STATE_HISTORY`` states: by default it
keeps them all and writes the old ones to disk at every block, which made each block cost tens of milliseconds
once a test session's chain had grown (a 300-block wait took 13 s late in the suite, 0.2 s on a fresh chain)."""

from __future__ import annotations

import pytest
from web3.exceptions import Web3RPCError

from kura.chain.deploy import deploy_all
from kura.demo import private_state
from kura.devnet.anvil import STATE_HISTORY
from kura.devtools.scratch import scratch_chain


def test_old_states_are_dropped_and_every_block_receipt_and_log_is_kept() -> None:
    with scratch_chain() as chain, private_state():
        eth = chain.w3.eth
        deploy_all(chain, chain.account(0))
        deployed_by = eth.block_number
        logs = eth.get_logs({"fromBlock": 0, "toBlock": deployed_by})
        payee = chain.account(1).address
        sent = eth.wait_for_transaction_receipt(
            eth.send_transaction({"from": chain.account(0).address, "to": payee, "value": 1})
        )
        balance = eth.get_balance(payee, sent["blockNumber"])
        chain.w3.provider.make_request("anvil_mine", [hex(STATE_HISTORY + 10)])
        with pytest.raises(Web3RPCError, match="BlockOutOfRange"):
            eth.get_balance(payee, sent["blockNumber"])  # that state is gone
        assert eth.get_balance(payee, eth.block_number - STATE_HISTORY // 2) == balance
        assert logs and eth.get_logs({"fromBlock": 0, "toBlock": deployed_by}) == logs
        assert eth.get_block(sent["blockNumber"])["transactions"] == [sent["transactionHash"]]
        assert eth.get_transaction_receipt(sent["transactionHash"])["blockNumber"] == sent["blockNumber"]
