"""The file a dataset listing sells: the de-identified table and its certificate, in one canonical document.

A buyer who opened the file checks the table against the certificate (:func:`kura.market.certificate.verify`)
and the certificate against the digest the listing committed, so the k and ℓ it paid for are the ones it got.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kura.errors import CertificateError
from kura.market.certificate import DeidCertificate, verify
from kura.market.table import DeidTable

FORMAT = "kura/dataset/v1"


@dataclass(frozen=True)
class DatasetPackage:
    """A de-identified table with the certificate that describes it."""

    table: DeidTable
    certificate: DeidCertificate

    def to_bytes(self) -> bytes:
        """The canonical document (JSON, sorted keys): the certificate's JSON and the table's canonical CSV."""
        data = {"format": FORMAT, "certificate": self.certificate.to_json(), "table": self.table.to_csv()}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes, *, certificate_digest: bytes | None = None) -> DatasetPackage:
        """Read a package and check its table against its certificate, and the certificate against
        ``certificate_digest`` (a listing's) if given.

        Raises:
            CertificateError: if it is not a dataset package, the table does not match the certificate, or the
                certificate is not the one committed.
        """
        try:
            raw = json.loads(data)
        except ValueError as exc:
            raise CertificateError(f"not a dataset package: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise CertificateError(f"not a {FORMAT} document")
        package = cls(DeidTable.from_csv(str(raw["table"])), DeidCertificate.from_json(str(raw["certificate"])))
        verify(package.table, package.certificate)
        if certificate_digest is not None and package.certificate.digest() != certificate_digest:
            raise CertificateError("the dataset's certificate is not the one its listing committed")
        return package
