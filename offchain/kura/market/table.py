"""A de-identified table: named columns of text cells, its canonical CSV and the digest a listing commits."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from eth_utils import keccak

from kura.errors import CertificateError


@dataclass(frozen=True)
class DeidTable:
    """Rows of text cells under named columns, in a fixed order.

    Attributes:
        columns: Column names.
        rows: One tuple of cells per record, each as long as ``columns``.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, name: str) -> tuple[str, ...]:
        """The cells of column ``name``, row by row.

        Raises:
            CertificateError: if the table has no such column.
        """
        if name not in self.columns:
            raise CertificateError(f"the table has no column {name!r}; its columns are {', '.join(self.columns)}")
        index = self.columns.index(name)
        return tuple(row[index] for row in self.rows)

    def to_csv(self) -> str:
        """The canonical CSV: a header line, then the rows, ``\\n`` line ends, minimal quoting."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()

    def digest(self) -> bytes:
        """keccak256 of the UTF-8 bytes of :meth:`to_csv`."""
        return keccak(self.to_csv().encode())

    @classmethod
    def from_csv(cls, text: str) -> DeidTable:
        """Read a table back from :meth:`to_csv` text.

        Raises:
            CertificateError: if the text has no header or a row of another width.
        """
        lines = list(csv.reader(io.StringIO(text)))
        if not lines:
            raise CertificateError("the CSV is empty: a de-identified table has at least a header line")
        columns = tuple(lines[0])
        return cls.of(columns, [tuple(line) for line in lines[1:]])

    @classmethod
    def of(cls, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> DeidTable:
        """A table over ``rows``, checking that every row has one cell per column.

        Raises:
            CertificateError: if a row has another width than the header.
        """
        for number, row in enumerate(rows, start=1):
            if len(row) != len(columns):
                raise CertificateError(f"row {number} has {len(row)} cells but the table has {len(columns)} columns")
        return cls(tuple(columns), tuple(tuple(row) for row in rows))
