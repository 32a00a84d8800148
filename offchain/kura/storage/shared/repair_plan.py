"""What a repairer asks a newcomer to rebuild, and what the newcomer answers: the plan of one repair.

The repairer only coordinates: it picks the helpers, relays the small key-enrolment
messages, and hands the newcomer a :class:`RebuildPlan`. The newcomer then pulls the
repair data from the helpers itself (MSR symbols, ciphertext bodies, or masked Shamir
partial sums), so the bulk of a repair crosses the network once, helper to newcomer.

A plan is signed by the repairer's account (:meth:`RebuildPlan.signed`), and a node rebuilds
only for a signer that is an Active registered node: the work a plan asks for (pulling a
share's worth of repair data) can be asked only by someone with stake at risk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.codes.params import CodeParams, Scheme
from kura.crypto.share import ShareHeader
from kura.errors import CodecError
from kura.results import Result
from kura.storage.shared import repair_wire as wire

SIGNATURE_BYTES = 65
"""An Ethereum signature: r, s and v."""


class RepairPath(str, Enum):
    """How a share is rebuilt."""

    MSR = "msr"
    """From ``d`` helpers' repair symbols (``beta`` per stripe each): the cut-set bound."""
    REENCODE = "reencode"
    """From ``k`` helpers' bodies: the ciphertext is decoded and re-encoded."""
    SHAMIR = "shamir"
    """A pure-Shamir share, from ``k`` helpers' masked partial sums of their whole bodies."""


def path_for(params: CodeParams, helpers_available: int) -> RepairPath:
    """The cheapest path open with ``helpers_available`` answering holders (``k`` at least).

    Raises:
        CodecError: if fewer than ``k`` holders answer.
    """
    if helpers_available < params.k:
        raise CodecError(f"{helpers_available} holders answer, rebuilding a share needs k={params.k}")
    if params.scheme is Scheme.SHAMIR:
        return RepairPath.SHAMIR
    if params.scheme is Scheme.MSR and helpers_available >= params.d:
        return RepairPath.MSR
    return RepairPath.REENCODE


def helpers_needed(params: CodeParams, path: RepairPath) -> int:
    """How many helpers ``path`` uses: ``d`` for MSR, ``k`` otherwise."""
    return params.d if path is RepairPath.MSR else params.k


@dataclass(frozen=True)
class HelperRef:
    """One helper of a plan.

    Attributes:
        index: The share it holds.
        operator: Its registry address (the newcomer finds its repair service through it).
        cid: Where its share is.
        session: Its key-enrolment session (the newcomer pulls its Shamir partial sum by it), or empty.
    """

    index: int
    operator: str
    cid: str
    session: bytes = b""


@dataclass(frozen=True)
class RebuildPlan:
    """Everything a newcomer needs to rebuild share ``index`` of ``file_id``.

    Attributes:
        file_id: The file.
        index: The share to rebuild.
        path: How.
        template: A helper's public header (key share blanked); the newcomer writes it with ``index`` and the
            key share it rebuilds.
        merkle_root: The committed Merkle root of the whole share: the newcomer keeps the share only if it matches.
        helpers: Who sends what (``d`` for MSR, ``k`` otherwise).
        sealed_sums: The key-enrolment partial sums (and pad seeds) of the plan's first ``k`` helpers, in
            order, each encrypted to the newcomer.
        signature: The repairer's signature over everything above (empty until :meth:`signed`).
    """

    file_id: bytes
    index: int
    path: RepairPath
    template: ShareHeader
    merkle_root: bytes
    helpers: tuple[HelperRef, ...]
    sealed_sums: tuple[bytes, ...]
    signature: bytes = b""

    def _body(self) -> wire.Json:
        return {
            "file_id": wire.b64(self.file_id),
            "index": self.index,
            "path": self.path.value,
            "template": wire.b64(self.template.to_bytes()),
            "merkle_root": wire.b64(self.merkle_root),
            "helpers": [
                {"index": h.index, "operator": h.operator, "cid": h.cid, "session": wire.b64(h.session)}
                for h in self.helpers
            ],
            "sums": [wire.b64(s) for s in self.sealed_sums],
        }

    def digest(self) -> bytes:
        """What the repairer signs: keccak-256 of the plan's canonical JSON, signature left out."""
        return keccak(json.dumps(self._body(), sort_keys=True, separators=(",", ":")).encode())

    def signed(self, repairer: LocalAccount) -> RebuildPlan:
        """The plan signed by ``repairer`` (an EIP-191 signature of :meth:`digest`)."""
        signature = repairer.sign_message(encode_defunct(primitive=self.digest())).signature
        return replace(self, signature=bytes(signature))

    def signer(self) -> str:
        """The address that signed the plan.

        Raises:
            CodecError: if it carries no valid signature.
        """
        if len(self.signature) != SIGNATURE_BYTES:
            raise CodecError(
                f"the rebuild plan carries no valid signature: {len(self.signature)} bytes, a "
                f"signature has {SIGNATURE_BYTES}"
            )
        try:
            return str(Account.recover_message(encode_defunct(primitive=self.digest()), signature=self.signature))
        except (ValueError, TypeError) as exc:
            raise CodecError(f"the rebuild plan carries no valid signature: {exc}") from exc

    def to_json(self) -> wire.Json:
        """The wire form."""
        return {**self._body(), "signature": wire.b64(self.signature)}

    @classmethod
    def from_json(cls, body: wire.Json) -> RebuildPlan:
        """Read the wire form.

        Raises:
            CodecError: naming the field that is missing or malformed.
        """
        try:
            path = RepairPath(wire.text(body, "path"))
        except ValueError as exc:
            raise CodecError(f"field 'path' must be one of {[p.value for p in RepairPath]}") from exc
        raw_helpers = body.get("helpers")
        if not isinstance(raw_helpers, list) or not raw_helpers:
            raise CodecError("field 'helpers' must be a non-empty list")
        helpers = tuple(_helper(item) for item in raw_helpers)
        return cls(
            wire.blob(body, "file_id"),
            wire.index(body, "index"),
            path,
            ShareHeader.from_bytes(wire.blob(body, "template")),
            wire.blob(body, "merkle_root"),
            helpers,
            tuple(wire.blobs(body, "sums")),
            wire.blob(body, "signature"),
        )


def _helper(item: Any) -> HelperRef:
    if not isinstance(item, dict):
        raise CodecError("each helper must be an object")
    return HelperRef(
        wire.index(item, "index"), wire.text(item, "operator"), wire.text(item, "cid"), wire.blob(item, "session")
    )


@dataclass(frozen=True)
class Rebuilt(Result):
    """What a newcomer answers once the share is rebuilt, checked and pinned.

    Attributes:
        cid: Where it is pinned.
        ticket: Secret the repairer shows to :meth:`abandon` the share if its commit fails.
        received: Bytes of repair data pulled from each helper, by share index.
    """

    cid: str
    ticket: bytes
    received: dict[int, int]
