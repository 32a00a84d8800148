"""The requester's side of a compute task: check the module, choose terms a market can decide, publish module and
input, post the task, fetch the result.

The chain never sees a module's bytes (only their hash and CID), so :func:`check_module` is the requester's
check that they are WebAssembly kura can run, before anything is escrowed; :func:`resolve_terms` fills in what a
requester leaves open from the market's deployment (enough never-checked auditors to decide a first task, the
least fee a run is paid) and refuses, before posting, terms the market would refuse.

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

from kura.chain.params import TaskMarketParams
from kura.chain.task_market import Task, TaskMarketClient, TaskParams, TaskState
from kura.compute.credibility import group_credibilities_wad
from kura.compute.sandbox import DEFAULT_FUEL, Sandbox, TaskOutcome, TaskStatus
from kura.compute.sealing import account_public_key, open_output
from kura.errors import DecryptionError, IpfsError, SandboxError, TaskError
from kura.ipfs.client import KuboClient
from kura.units import WAD, format_units

WASM_MAGIC = b"\0asm\x01\0\0\0"
"""The first eight bytes of every WebAssembly binary module (magic and version 1)."""


@dataclass(frozen=True)
class TaskTerms:
    """What a requester offers for one task.

    Attributes:
        reward: Wei for the compute node if its answer is accepted.
        auditors: Auditors drawn per round (m); None: the fewest never-checked auditors whose agreement reaches
            ``theta`` in one round (:func:`fresh_auditors`), so a first task on a new market is decided.
        audit_fee: Wei for each auditor whose answer is accepted; None: the market's least pay for a run.
        theta: Group credibility needed to accept a result, WAD.
        fuel: Fuel limit for every run.
        confidential: Have the nodes upload the output encrypted to the requester's account key.
    """

    reward: int
    auditors: int | None = None
    audit_fee: int | None = None
    theta: int = 99 * WAD // 100
    fuel: int = DEFAULT_FUEL
    confidential: bool = False


def check_module(module: bytes, sandbox: Sandbox | None = None) -> None:
    """Check that ``module`` is a WebAssembly module kura can run, before it is posted.

    The chain cannot: it sees only the module's hash and CID. A module that fails here would be answered
    INVALID_MODULE by every node, the requester paying for nothing.

    Args:
        module: The module's bytes.
        sandbox: Compiles it (a fresh one when omitted).

    Raises:
        SandboxError: naming what is wrong (not WebAssembly, not valid, imports something, lacks an export).
    """
    if not module.startswith(WASM_MAGIC):
        head = module[:8].hex() or "nothing"
        raise SandboxError(
            f"the module is not WebAssembly: it starts with 0x{head}, not 0x{WASM_MAGIC.hex()} "
            "(give the .wasm binary, not its text or source); nothing was posted"
        )
    try:
        (sandbox or Sandbox()).compile(module)
    except SandboxError as exc:
        raise SandboxError(f"{exc}; nothing was posted") from exc


def fresh_auditors(params: TaskMarketParams, theta: int) -> int:
    """The fewest auditors per round whose agreement decides a task at ``theta`` in one round though none of them
    passed a check yet: the default, so that a first task on a new market is decided.

    Never-checked auditors weigh ``1 − f`` (``params.saboteur_fraction``).

    Args:
        params: The market's parameters.
        theta: The threshold, WAD.

    Returns:
        The count, at most ``params.max_auditors``.

    Raises:
        TaskError: if even ``max_auditors`` per round cannot reach ``theta``.
    """
    for auditors in range(1, params.max_auditors + 1):
        if _fresh_decide(params, auditors, theta) and _fresh_decide(params, auditors * params.max_rounds - 1, theta):
            return auditors
    raise TaskError(
        f"no task at theta {theta / WAD} can be decided in one round on a new market: "
        f"{params.max_auditors} never-checked auditors fall short; ask for a lower theta"
    )


@dataclass(frozen=True)
class ResolvedTerms:
    """:class:`TaskTerms` with every open choice made (what :func:`resolve_terms` returns and :func:`submit` posts).

    Attributes:
        reward: Wei for the compute node.
        auditors: Auditors drawn per round.
        audit_fee: Wei for each auditor whose answer is accepted.
        theta: Group credibility needed to accept a result, WAD.
        fuel: Fuel limit for every run.
        confidential: Whether the output is sealed to the requester's key.
    """

    reward: int
    auditors: int
    audit_fee: int
    theta: int
    fuel: int
    confidential: bool


def resolve_terms(params: TaskMarketParams, terms: TaskTerms) -> ResolvedTerms:
    """``terms`` with every open choice made for the market ``params`` describes, and checked against its rules.

    Args:
        params: The market's deployment parameters.
        terms: What the requester asked for.

    Returns:
        The terms to post.

    Raises:
        TaskError: naming the rule a term breaks (fuel, reward or fee below the market's price, too few auditors to
            ever decide), so nothing is posted that the market would refuse.
    """
    if not 0 < terms.fuel <= params.max_fuel:
        raise TaskError(f"fuel {terms.fuel:,} is outside this market's 1 to {params.max_fuel:,}")
    least = params.min_payment(terms.fuel)
    audit_fee = least if terms.audit_fee is None else terms.audit_fee
    for name, amount in (("reward", terms.reward), ("audit fee", audit_fee)):
        if amount < least:
            raise TaskError(
                f"the {name} of {format_units(amount)} ETH is below this market's least pay for a run of "
                f"{terms.fuel:,} fuel, {format_units(least)} ETH ({params.min_fuel_price} wei per fuel)"
            )
    auditors = fresh_auditors(params, terms.theta) if terms.auditors is None else terms.auditors
    if not 0 < auditors <= params.max_auditors:
        raise TaskError(f"{auditors} auditors per round is outside this market's 1 to {params.max_auditors}")
    if not _fresh_decide(params, auditors * params.max_rounds - 1, terms.theta):
        raise TaskError(
            f"{auditors} auditors per round over {params.max_rounds} rounds could never decide a task at "
            f"theta {terms.theta / WAD} while the auditors are new: ask for more (or leave the count to "
            "kura)"
        )
    return ResolvedTerms(
        reward=terms.reward,
        auditors=auditors,
        audit_fee=audit_fee,
        theta=terms.theta,
        fuel=terms.fuel,
        confidential=terms.confidential,
    )


def _fresh_decide(params: TaskMarketParams, count: int, theta: int) -> bool:
    """Whether ``count`` agreeing never-checked auditors (credibility ``1 − f``) reach ``theta``."""
    fresh = WAD - params.saboteur_fraction
    return count > 0 and group_credibilities_wad({b"\x01": [fresh] * count})[b"\x01"] >= theta


def submit(
    market: TaskMarketClient, ipfs: KuboClient, module: bytes, data: bytes, terms: TaskTerms, *, requester: LocalAccount
) -> int:
    """Check ``module`` and ``terms``, publish module and ``data`` on IPFS and post the task, escrowing reward and
    audit budget.

    Returns:
        The task id.

    Raises:
        SandboxError: if ``module`` is not a WebAssembly module kura can run (nothing is posted).
        TaskError: if the terms break the market's rules (see :func:`resolve_terms`).
        IpfsError: if the IPFS node refuses the upload.
        ContractRevertError: if the market refuses the task (see :meth:`TaskMarketClient.post`).
    """
    check_module(module)
    chosen = resolve_terms(market.params(), terms)
    module_cid = ipfs.add(module)
    input_cid = ipfs.add(data)
    params = TaskParams(
        module_cid,
        keccak(module),
        input_cid,
        keccak(data),
        fuel=chosen.fuel,
        reward=chosen.reward,
        audit_fee=chosen.audit_fee,
        auditors=chosen.auditors,
        theta=chosen.theta,
        requester_key=account_public_key(requester.key) if chosen.confidential else b"",
    )
    return market.post(params, requester=requester)


def output_commitment(output: bytes) -> bytes:
    """The result hash a successful run with ``output`` commits to."""
    return TaskOutcome(TaskStatus.OK, output=output).commitment_hash


def fetch_result(
    market: TaskMarketClient, ipfs: KuboClient, task_id: int, *, requester: LocalAccount | None = None
) -> bytes:
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
        raise TaskError(
            f"task {task_id} is {task.state.name}, not ACCEPTED: it has no result (check `kura task status`)"
        )
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
    raise TaskError(
        f"task {task_id}: none of the {len(tried)} output CIDs revealed with the accepted result "
        f"0x{task.result.hex()} holds matching bytes{altered}; the accepted outcome may be a failure "
        "(out of fuel, trap) that has no output"
    )


def _opening_key(task: Task, requester: LocalAccount | None) -> bytes | None:
    """The private key that opens ``task``'s sealed outputs (None for a public task).

    Raises:
        DecryptionError: if the task is confidential and ``requester`` is missing or not its requester.
    """
    if not task.confidential:
        return None
    if requester is None or requester.address != task.requester:
        who = "no account" if requester is None else f"account {requester.address}"
        raise DecryptionError(
            f"task {task.task_id}'s output is sealed to its requester {task.requester}; {who} "
            "cannot decrypt it (use the requester's account)"
        )
    return bytes(requester.key)
