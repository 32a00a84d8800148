"""The requester's side of a compute task: publish module and input, post the task, fetch the result.

The chain holds only the accepted result hash (a sandbox outcome commitment); the output bytes live
on IPFS under the CIDs the nodes revealed. :func:`fetch_result` accepts bytes only if they hash to
the accepted commitment, so a lying node's CID can waste a fetch but never deliver a wrong result.
A confidential task's outputs are sealed to the requester (:mod:`kura.compute.sealing`): they are
opened with the requester's key first, and the plaintext is what must hash to the commitment.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.chain.task_market import WAD, Task, TaskMarketClient, TaskState
from kura.compute.sandbox import DEFAULT_FUEL, TaskOutcome, TaskStatus
from kura.compute.sealing import account_public_key, open_output
from kura.errors import DecryptionError, IpfsError, TaskError
from kura.ipfs.client import KuboClient


@dataclass(frozen=True)
class TaskTerms:
    """What a requester offers for one task.

    Attributes:
        reward: Wei for the compute node if its answer is accepted.
        auditors: Auditors drawn per round (m).
        audit_fee: Wei for each auditor whose answer is accepted.
        theta: Group credibility needed to accept a result, WAD.
        fuel: Fuel limit for every run.
        confidential: Have the nodes upload the output encrypted to the requester's account key.
    """

    reward: int
    auditors: int = 3
    audit_fee: int = 0
    theta: int = 99 * WAD // 100
    fuel: int = DEFAULT_FUEL
    confidential: bool = False


def submit(market: TaskMarketClient, ipfs: KuboClient, module: bytes, data: bytes, terms: TaskTerms, *,
           requester: LocalAccount) -> int:
    """Publish ``module`` and ``data`` on IPFS and post the task, escrowing reward and audit budget.

    Returns:
        The task id.

    Raises:
        IpfsError: if the IPFS node refuses the upload.
        ContractRevertError: if the market refuses the task (see :meth:`TaskMarketClient.post`).
    """
    module_cid = ipfs.add(module)
    input_cid = ipfs.add(data)
    return market.post(
        module_cid, keccak(module), input_cid, keccak(data), fuel=terms.fuel, reward=terms.reward,
        audit_fee=terms.audit_fee, auditors=terms.auditors, theta=terms.theta, requester=requester,
        requester_key=account_public_key(requester.key) if terms.confidential else b"",
    )


def output_commitment(output: bytes) -> bytes:
    """The result hash a successful run with ``output`` commits to."""
    return TaskOutcome(TaskStatus.OK, output=output).commitment_hash


def fetch_result(market: TaskMarketClient, ipfs: KuboClient, task_id: int, *,
                 requester: LocalAccount | None = None) -> bytes:
    """The output bytes of an accepted task, checked against the accepted result hash.

    Args:
        market: The TaskMarket client.
        ipfs: Any IPFS node of the network (it fetches over bitswap).
        task_id: The task.
        requester: The requester's account; needed only for a confidential task, to open its output.

    Returns:
        The output bytes (decrypted, for a confidential task).

    Raises:
        TaskError: if the task is not Accepted, or no revealed CID holds bytes matching the result
            (the accepted outcome was then a failure such as OUT_OF_FUEL, which has no output; or every
            sealed output was altered).
        DecryptionError: if the task is confidential and ``requester`` is missing or not its requester.
        ContractRevertError: ``UnknownTask``.
    """
    task = market.task_of(task_id)
    if task.state is not TaskState.ACCEPTED:
        raise TaskError(f"task {task_id} is {task.state.name}, not ACCEPTED: it has no result "
                        "(check `kura task status`)")
    private_key = _opening_key(task, requester)
    tried: list[str] = []
    undecryptable = 0
    for revealed in market.reveals(task):
        if revealed.result != task.result or not revealed.output_cid or revealed.output_cid in tried:
            continue
        tried.append(revealed.output_cid)
        try:
            output = ipfs.cat(revealed.output_cid, timeout=60)
        except IpfsError:
            continue
        if private_key is not None:
            try:
                output = open_output(private_key, output, market=market.contract.address, task_id=task_id)
            except DecryptionError:
                undecryptable += 1
                continue
        if output_commitment(output) == task.result:
            return output
    altered = f" ({undecryptable} were altered: they fail to decrypt)" if undecryptable else ""
    raise TaskError(f"task {task_id}: none of the {len(tried)} output CIDs revealed with the accepted result "
                    f"0x{task.result.hex()} holds matching bytes{altered}; the accepted outcome may be a failure "
                    "(out of fuel, trap) that has no output")


def _opening_key(task: Task, requester: LocalAccount | None) -> bytes | None:
    """The private key that opens ``task``'s sealed outputs (None for a public task).

    Raises:
        DecryptionError: if the task is confidential and ``requester`` is missing or not its requester.
    """
    if not task.confidential:
        return None
    if requester is None or requester.address != task.requester:
        who = "no account" if requester is None else f"account {requester.address}"
        raise DecryptionError(f"task {task.task_id}'s output is sealed to its requester {task.requester}; {who} "
                              "cannot decrypt it (use the requester's account)")
    return bytes(requester.key)
