"""Parameters of kura's share schemes, and the costs that follow from them.

One place defines what (k, n) means for each scheme so that the codec, the
repair protocol and the reliability simulator all agree on sizes and traffic.
All sizes are fractions of the file (ciphertext) size ``B``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kura.errors import CodecError

MAX_SHARES = 255
"""GF(2^8) has 255 non-zero evaluation points, so n is at most 255."""


class Scheme(str, Enum):
    """How a file is split into shares."""

    SHAMIR = "shamir"
    """Information-theoretic: every share is as large as the file."""
    RS = "rs"
    """Reed–Solomon on the ciphertext, key Shamir-shared (Krawczyk); repair re-downloads k shares."""
    MSR = "msr"
    """Product-matrix minimum-storage regenerating code, d = 2k - 2; repair reads beta from d helpers."""


@dataclass(frozen=True)
class CodeParams:
    """A scheme with its threshold ``k`` of ``n`` shares.

    Raises:
        CodecError: if the parameters are impossible for the scheme.
    """

    scheme: Scheme
    k: int
    n: int

    def __post_init__(self) -> None:
        if not 1 <= self.k <= self.n <= MAX_SHARES:
            raise CodecError(f"need 1 <= k <= n <= {MAX_SHARES}, got k={self.k}, n={self.n}: choose a smaller n or k")
        if self.scheme is Scheme.MSR and (self.k < 2 or self.n < 2 * self.k - 1):
            raise CodecError(
                f"the product-matrix MSR code needs k >= 2 and n >= 2k - 1 (d = 2k - 2 helpers plus the "
                f"lost node), got k={self.k}, n={self.n}: raise n to at least {max(3, 2 * self.k - 1)}"
            )

    @property
    def d(self) -> int:
        """How many helpers a repair contacts."""
        return 2 * self.k - 2 if self.scheme is Scheme.MSR else self.k

    @property
    def alpha(self) -> int:
        """Symbols per share per stripe (sub-packetisation)."""
        return self.k - 1 if self.scheme is Scheme.MSR else 1

    @property
    def beta(self) -> int:
        """Symbols each helper sends per stripe during a repair."""
        return 1 if self.scheme is Scheme.MSR else self.alpha

    @property
    def share_fraction(self) -> float:
        """Size of one share as a fraction of the file."""
        return 1.0 if self.scheme is Scheme.SHAMIR else 1.0 / self.k

    @property
    def storage_overhead(self) -> float:
        """Total stored bytes per file byte (n shares)."""
        return self.n * self.share_fraction

    @property
    def repair_fraction(self) -> float:
        """Bytes downloaded to rebuild one lost share, as a fraction of the file.

        MSR: ``d * beta / (k * alpha)`` = 2/k. RS and Shamir: k whole shares.
        """
        if self.scheme is Scheme.MSR:
            return self.d * self.beta / (self.k * self.alpha)
        return self.k * self.share_fraction

    @property
    def cut_set_bound(self) -> float:
        """The least repair traffic any code storing ``1/k`` per node can reach with ``d`` helpers.

        Dimakis et al.: ``gamma_min = d / (k * (d - k + 1))`` of the file, for
        ``d`` helpers at the minimum-storage point.
        """
        d = 2 * self.k - 2 if self.scheme is Scheme.MSR else self.k
        if d - self.k + 1 <= 0:
            return 1.0
        return d / (self.k * (d - self.k + 1))
