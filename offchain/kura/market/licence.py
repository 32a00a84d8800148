"""The licence a dataset is sold under: a human-readable document whose hash the listing commits.

The document is canonical JSON (sorted keys) plus the plain-language terms, so the same terms always hash
the same, a buyer can read what it agreed to, and anyone can check a listing's ``licenceHash`` against the
document stored on IPFS.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_utils import keccak

from kura.errors import MarketError

FORMAT = "kura/licence/v1"
DEFAULT_TERMS = (
    "The licensee uses the data only for the purposes of use listed here, and only for the licence's duration.",
    "The licensee makes no attempt to re-identify any person, nor links the data with other data to that end.",
    "The licensee does not redistribute the data, in whole or in part, to anyone.",
    "Patients' consents are honoured as the consent registry records them: a revocation removes a record from "
    "every new sale and computation; copies already delivered stay under this licence.",
)
"""The clauses every kura licence carries (no re-identification, no redistribution)."""


@dataclass(frozen=True)
class Licence:
    """A data licence.

    Attributes:
        title: What the data is, in a few words.
        purposes: v3 PurposeOfUse codes the data may be used for (e.g. ``("HRESCH",)``).
        duration_days: How long the licence runs from the sale.
        terms: The clauses, in plain language.
    """

    title: str
    purposes: tuple[str, ...] = ("HRESCH",)
    duration_days: int = 365
    terms: tuple[str, ...] = field(default=DEFAULT_TERMS)

    def __post_init__(self) -> None:
        if not self.purposes or not all(self.purposes):
            raise MarketError("a licence names at least one PurposeOfUse code (e.g. HRESCH)")
        if self.duration_days < 1:
            raise MarketError(f"a licence runs at least one day, not {self.duration_days}")

    @property
    def duration_seconds(self) -> int:
        """The duration as the contract records it."""
        return self.duration_days * 24 * 3600

    def to_bytes(self) -> bytes:
        """The canonical document (UTF-8 JSON, sorted keys, no spaces)."""
        data: dict[str, Any] = {"format": FORMAT, **asdict(self)}
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def digest(self) -> bytes:
        """keccak256 of the canonical document: the listing's ``licenceHash``."""
        return keccak(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Licence:
        """Parse a canonical document.

        Raises:
            MarketError: if it is not a kura licence.
        """
        try:
            raw = json.loads(data)
        except ValueError as exc:
            raise MarketError(f"not a licence document: {exc}") from exc
        if not isinstance(raw, dict) or raw.pop("format", None) != FORMAT:
            raise MarketError(f"not a {FORMAT} document")
        return cls(
            title=str(raw["title"]),
            purposes=tuple(raw["purposes"]),
            duration_days=int(raw["duration_days"]),
            terms=tuple(raw["terms"]),
        )
