"""The de-identification certificate: what was done to a table and what it achieves, as committable JSON.

The certificate names the policy, the rules applied (each Safe Harbor identifier
and what happened to it), the level chosen for each quasi-identifier, the k and
l the table achieves, the record counts, the tool and its version, and the
keccak256 of the table's canonical CSV. :meth:`DeidCertificate.to_json` is
canonical (sorted keys, no spaces, ASCII), so :meth:`DeidCertificate.digest`,
its keccak256, is what a data listing commits on chain. :func:`verify` is the
buyer's check of a table against its certificate.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from eth_utils import keccak

from kura.errors import CertificateError
from kura.market.anonymity import measure
from kura.market.policy import DeidPolicy
from kura.market.table import DeidTable

FORMAT = "kura.deid-certificate/1"
"""The ``format`` field; another value is refused."""


@dataclass(frozen=True)
class GeneralisationLevel:
    """The level chosen for one quasi-identifier: its column, level number and level name."""

    column: str
    level: int
    name: str


@dataclass(frozen=True)
class DeidCertificate:
    """What a de-identification did and achieved.

    Attributes:
        tool: The producing tool (``"kura.market.deid"``).
        tool_version: Its version (the kura package version).
        as_of: The day ages were computed for, ISO 8601.
        policy: The policy it was made under.
        safe_harbor: Whether the output meets HIPAA Safe Harbor (false when months were kept).
        rules: Each rule applied, one sentence each (the 18 identifiers first).
        quasi_identifiers: The quasi-identifier columns.
        sensitive: The sensitive column that l-diversity is about.
        levels: The generalisation level chosen for each quasi-identifier.
        k: The smallest equivalence class of the output.
        l: The fewest distinct sensitive values in an output class.
        records_in: Patients given to de-identification.
        records_out: Rows in the output.
        suppressed: Rows removed to reach k and l.
        columns: The output's columns.
        table_digest: ``0x`` + keccak256 of the output's canonical CSV.
    """

    tool: str
    tool_version: str
    as_of: str
    policy: DeidPolicy
    safe_harbor: bool
    rules: tuple[str, ...]
    quasi_identifiers: tuple[str, ...]
    sensitive: str
    levels: tuple[GeneralisationLevel, ...]
    k: int
    l: int  # noqa: E741 - ℓ of ℓ-diversity, named as in the papers
    records_in: int
    records_out: int
    suppressed: int
    columns: tuple[str, ...]
    table_digest: str

    def to_dict(self) -> dict[str, Any]:
        """The certificate as JSON-ready data, with its ``format``."""
        return {"format": FORMAT, **asdict(self), "policy": self.policy.to_dict()}

    def to_json(self) -> str:
        """The canonical JSON: sorted keys, ``,``/``:`` separators, ASCII only."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    def digest(self) -> bytes:
        """keccak256 of :meth:`to_json`'s bytes: the value a listing commits."""
        return keccak(self.to_json().encode())

    @classmethod
    def from_json(cls, text: str) -> DeidCertificate:
        """Read a certificate back from :meth:`to_json` text.

        Raises:
            CertificateError: if it is not JSON, has another format, a malformed policy, or lacks or
                adds fields.
        """
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
                raise CertificateError(f"not a de-identification certificate (format {FORMAT!r} expected)")
            data["levels"] = tuple(GeneralisationLevel(**level) for level in data["levels"])
            data["policy"] = DeidPolicy.from_dict(data["policy"])
            for name in ("rules", "quasi_identifiers", "columns"):
                data[name] = tuple(data[name])
            return cls(**data)
        except CertificateError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise CertificateError(f"malformed de-identification certificate: {error}") from error


def verify(table: DeidTable, certificate: DeidCertificate) -> None:
    """Check that ``table`` is the one ``certificate`` describes and really has its k and l.

    The buyer's check: the table's digest, columns and row count must match, and
    k and l recomputed from the rows must equal the certified ones and meet the
    policy.

    Raises:
        CertificateError: naming the first thing that does not match.
    """
    digest = "0x" + table.digest().hex()
    if digest != certificate.table_digest:
        raise CertificateError(f"table digest {digest} is not the certified {certificate.table_digest}")
    if table.columns != certificate.columns:
        raise CertificateError(f"table columns {table.columns} are not the certified {certificate.columns}")
    if len(table.rows) != certificate.records_out:
        raise CertificateError(f"table has {len(table.rows)} rows, the certificate says {certificate.records_out}")
    achieved = measure(table, certificate.quasi_identifiers, certificate.sensitive)
    if (achieved.k, achieved.l) != (certificate.k, certificate.l):
        raise CertificateError(
            f"the table is {achieved.k}-anonymous and {achieved.l}-diverse, "
            f"the certificate claims k={certificate.k}, l={certificate.l}"
        )
    wanted_k, wanted_l = certificate.policy.k_anonymity, certificate.policy.l_diversity
    if achieved.k < wanted_k or achieved.l < wanted_l:
        raise CertificateError(
            f"the table reaches k={achieved.k}, l={achieved.l}, below its policy's k={wanted_k}, l={wanted_l}"
        )
