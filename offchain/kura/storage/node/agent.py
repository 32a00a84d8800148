"""The storage node agent: answer the chain's audits of the shares this node holds.

One :class:`StorageNodeAgent` runs per storage node (``kura node run``). Each
:meth:`StorageNodeAgent.step` does one round:

1. read ``ChallengeOpened`` events addressed to this node since the saved block
   cursor (so a restart misses nothing), and remember the open ones;
2. for each remembered challenge whose seed block is mined, read the chunk index
   the chain drew, find the share by its Merkle root among the node's pins, and
   answer with the chunk and its proof (reseeding first if the seed hash expired);
3. drop challenges that are closed.

Failures of the RPC or of the node's own Kubo leave the challenge remembered and
the cursor unmoved, so the next step retries; :meth:`StorageNodeAgent.run` repeats steps
with exponential backoff after a failure, capped well below the response window,
so an outage shorter than the deadline costs no audit.

The agent also carries the node's repair duties (:attr:`StorageNodeAgent.peer`), which
:meth:`StorageNodeAgent.serve_repairs` puts on HTTP for repairers and newcomers on other
machines and :meth:`StorageNodeAgent.ensure_registered` announces in the registered
endpoint. As a newcomer the node reaches its helpers through the repair services they
announce in the registry, and each step drops shares it rebuilt whose repair no
commit claimed within :data:`~kura.storage.node.duties.PENDING_GRACE` seconds.

A share the node cannot serve is logged once per challenge, not at every poll.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from kura.chain.contracts import Contracts
from kura.chain.node_registry import NodeRecord
from kura.chain.storage_audits import Challenge, ChallengeStatus
from kura.crypto import ecies
from kura.crypto.merkle import CHUNK_SIZE, merkle_proof, merkle_root
from kura.crypto.share import MAGIC
from kura.errors import ContractRevertError, IpfsError, KuraError, StorageError
from kura.ipfs import KuboClient
from kura.storage.node.duties import RepairPeer
from kura.storage.node.server import RepairServer
from kura.storage.shared.directory import is_registered, register_node
from kura.storage.shared.endpoint import parse_endpoint
from kura.storage.shared.remote import registry_reach

BLOCKHASH_WINDOW = 256
_LOG = logging.getLogger("kura.node")
Log = Callable[[str], None]


@dataclass
class StepReport:
    """What one round did."""

    new: list[int] = field(default_factory=list)
    answered: dict[int, bool] = field(default_factory=dict)
    waiting: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)


class AgentState:
    """The agent's persistent memory: block cursor, remembered challenges, and share roots of its pins.

    Args:
        path: JSON file (written atomically); None keeps the state in memory only.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.cursor = -1
        self.pending: set[int] = set()
        self.roots: dict[str, str] = {}
        if path is not None and path.exists():
            data = json.loads(path.read_text())
            self.cursor = int(data["cursor"])
            self.pending = {int(i) for i in data["pending"]}
            self.roots = dict(data["roots"])

    def save(self) -> None:
        """Write the state (no-op in memory)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps({"cursor": self.cursor, "pending": sorted(self.pending), "roots": self.roots}))
        partial.replace(self.path)


class StorageNodeAgent:
    """One storage node's audit answerer.

    Args:
        chain: Connection to the chain.
        deployment: Where the kura contracts are.
        operator: The node's registry account (signs answers).
        kubo_api: The node's own Kubo RPC API.
        state_file: Where the cursor and pending challenges persist (None: memory only).
        log: Called with one line per action.
        proxy: SOCKS5 proxy for Kubo requests, if any.
    """

    def __init__(
        self,
        contracts: Contracts,
        operator: LocalAccount,
        kubo_api: str,
        *,
        state_file: Path | None = None,
        log: Log | None = None,
        proxy: str | None = None,
    ) -> None:
        self.chain = contracts.chain
        self.operator = operator
        self.kubo_api = kubo_api
        self.kubo = KuboClient(kubo_api, proxy=proxy, timeout=60.0)
        self.audits = contracts.audits
        self.registry = contracts.nodes
        self.state = AgentState(state_file)
        if self.state.cursor < 0:
            self.state.cursor = contracts.first_block("StorageAudits") - 1
        self.log = log or _LOG.info
        self._proxy = proxy
        self.repairs = contracts.repairs
        self.peer = RepairPeer(
            self.kubo,
            ecies.load_private_key(operator.key),
            reach=registry_reach(contracts, timeout=60.0),
            committed=self._holds_repaired,
            authorize=self.registry.is_active,
        )
        """This node's repair duties (helper and newcomer)."""
        self._reported_missing: set[int] = set()

    @property
    def address(self) -> str:
        """The operator address."""
        return str(self.operator.address)

    def ensure_registered(self, stake: int, *, repair_url: str | None = None) -> NodeRecord:
        """Register (bonding ``stake`` wei) unless registered; top the stake up to ``stake`` if it fell below.

        Args:
            stake: Wei to bond.
            repair_url: Where this node serves its repair duties (:meth:`serve_repairs`), announced in the
                registered endpoint. The registry keeps the endpoint of its first registration, so a node
                registered with another address is logged as unreachable for remote repairers.

        Raises:
            IpfsError: if the node's Kubo does not answer.
            ContractRevertError: ``StakeTooLow`` or ``WrongStatus`` (exited nodes cannot return).
        """
        record = register_node(
            self.registry, self.operator, self.kubo_api, stake=stake, proxy=self._proxy, repair_url=repair_url
        )
        announced = parse_endpoint(record.endpoint).repair_url
        if repair_url is not None and announced != repair_url:
            self.log(
                f"registered endpoint announces repair service {announced}, not {repair_url}: remote "
                "repairers cannot reach this node (listen on the announced address)"
            )
        if record.stake < stake:
            self.registry.top_up(node=self.operator, amount=stake - record.stake)
            self.log(f"topped stake up by {stake - record.stake} wei")
            record = self.registry.node_of(self.address)
        return record

    def announced_repair_url(self) -> str | None:
        """The repair service URL this node registered, or None (not registered, or none announced)."""
        if not is_registered(self.registry, self.address):
            return None
        return parse_endpoint(self.registry.node_of(self.address).endpoint).repair_url

    def serve_repairs(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> RepairServer:
        """Start serving this node's repair duties over HTTP (see :mod:`kura.storage.node.server`).

        Args:
            host: Address to listen on.
            port: Port (0: any free one; the server's ``url`` tells which).
            options: ``max_body`` and ``timeout`` of :class:`RepairServer`.

        Returns:
            The running server (close it when the agent stops).

        Raises:
            OSError: if the address cannot be bound.
        """
        return RepairServer(self.peer, host, port, **options).start()

    def step(self) -> StepReport:
        """One round: learn new challenges, answer the ready ones, forget the closed ones.

        Raises:
            ChainError, OSError: if the RPC fails (the state is kept; call again).
        """
        report = StepReport()
        self._scan(report)
        for challenge_id in sorted(self.state.pending):
            self._handle(challenge_id, report)
        self.state.save()
        for cid in self.peer.sweep():
            self.log(f"dropped rebuilt share {cid}: no repair commit names this node")
        return report

    def run(self, stop: threading.Event, *, interval: float = 1.0, max_backoff: float = 30.0) -> None:
        """Step until ``stop`` is set; after a failure wait ``interval`` doubling up to ``max_backoff``."""
        delay = interval
        while not stop.is_set():
            try:
                self.step()
                delay = interval
            except (KuraError, OSError) as exc:
                self.log(f"step failed ({type(exc).__name__}: {exc}); retrying in {delay:.1f}s")
                delay = min(max_backoff, delay * 2)
                stop.wait(delay)
                continue
            stop.wait(interval)

    # ---------------------------------------------------------------- internals

    def _holds_repaired(self, file_id: bytes, index: int) -> bool:
        """True if a committed repair moved share ``index`` of ``file_id`` to this node."""
        logs = self.repairs.contract.events.ShareRepaired.get_logs(
            from_block=self.repairs.first_block, argument_filters={"fileId": file_id, "newNode": self.address}
        )
        return any(int(log.args.index) == index for log in logs)

    def _scan(self, report: StepReport) -> None:
        latest = self.chain.w3.eth.block_number
        if latest <= self.state.cursor:
            return
        logs = self.audits.contract.events.ChallengeOpened.get_logs(
            from_block=self.state.cursor + 1, to_block=latest, argument_filters={"node": self.address}
        )
        for log in logs:
            challenge_id = int(log.args.challengeId)
            if challenge_id not in self.state.pending:
                self.state.pending.add(challenge_id)
                report.new.append(challenge_id)
                share, file_id = log.args.challenge.index, bytes(log.args.fileId).hex()[:16]
                self.log(f"challenge {challenge_id}: share {share} of {file_id}…")
        self.state.cursor = latest

    def _handle(self, challenge_id: int, report: StepReport) -> None:
        challenge = self.audits.challenge_of(challenge_id)
        if challenge.status is not ChallengeStatus.OPEN:
            self.state.pending.discard(challenge_id)
            self._reported_missing.discard(challenge_id)
            report.closed.append(challenge_id)
            return
        block = self.chain.w3.eth.block_number
        if block <= challenge.seed_block:
            report.waiting.append(challenge_id)
            return
        if block > challenge.seed_block + BLOCKHASH_WINDOW:
            self.audits.reseed(challenge, sender=self.operator)
            self.log(f"challenge {challenge_id}: seed hash expired, reseeded")
            report.waiting.append(challenge_id)
            return
        try:
            share = self._share(challenge)
        except (IpfsError, StorageError) as exc:
            if challenge_id not in self._reported_missing:
                self._reported_missing.add(challenge_id)
                self.log(
                    f"challenge {challenge_id}: share {challenge.index} of {challenge.file_id.hex()[:16]}… "
                    f"not available ({exc}); trying again at every poll until the deadline"
                )
            report.missing.append(challenge_id)
            return
        chunk_index = self.audits.chunk_index_of(challenge)
        chunk = share[chunk_index * CHUNK_SIZE : (chunk_index + 1) * CHUNK_SIZE]
        try:
            receipt = self.audits.respond(challenge, chunk, merkle_proof(share, chunk_index), node=self.operator)
        except ContractRevertError as exc:
            if exc.error_name in {"SeedNotYetAvailable", "SeedExpired"}:
                report.waiting.append(challenge_id)
                return
            raise
        passed = self.audits.passed(receipt)
        self.state.pending.discard(challenge_id)
        self._reported_missing.discard(challenge_id)
        report.answered[challenge_id] = passed
        self.log(
            f"challenge {challenge_id}: answered chunk {chunk_index}, {'passed' if passed else 'FAILED'} "
            f"({receipt['gasUsed']} gas)"
        )

    def _share(self, challenge: Challenge) -> bytes:
        """The pinned share whose Merkle root the challenge names.

        Raises:
            StorageError: if no pinned share has that root.
            IpfsError: if Kubo fails.
        """
        wanted = challenge.share_root.hex()
        for attempt in range(2):
            for cid, root in self.state.roots.items():
                if root == wanted:
                    data = self.kubo.cat(cid)
                    if merkle_root(data).hex() == wanted:
                        return data
                    del self.state.roots[cid]
                    break
            if attempt == 0:
                self._index_pins()
        raise StorageError(f"no pinned share has Merkle root {wanted[:16]}…: this node lost it")

    def _index_pins(self) -> None:
        """Learn the Merkle root of every pinned kura share not indexed yet (and forget unpinned ones)."""
        pins = self.kubo.pins()
        self.state.roots = {cid: root for cid, root in self.state.roots.items() if cid in pins}
        for cid in pins - set(self.state.roots):
            try:
                data = self.kubo.cat(cid)
            except IpfsError:
                self.kubo.id()  # raises if Kubo itself is down; otherwise the pin is no file (a directory)
                data = b""
            self.state.roots[cid] = merkle_root(data).hex() if data[: len(MAGIC)] == MAGIC else ""
        self.state.save()
