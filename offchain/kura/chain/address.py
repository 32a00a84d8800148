"""Ethereum addresses given by users: checked and checksummed before any call uses them."""

from __future__ import annotations

from eth_utils import is_address, to_checksum_address

from kura.errors import AddressError


def checksum(address: str) -> str:
    """``address`` in EIP-55 checksum form.

    Raises:
        AddressError: if it is not 20 bytes of hex (``0x`` and 40 hex digits), or its mixed case fails the checksum.
    """
    text = address.strip() if isinstance(address, str) else address
    if not isinstance(text, str) or not is_address(text):
        raise AddressError(
            f"{address!r} is not an Ethereum address (0x followed by 40 hex digits, "
            "with a valid checksum if mixed-case)"
        )
    return to_checksum_address(text)
