"""kura's cryptography: pure code, no I/O beyond the streams it is handed.

The public names below are the ones other layers use; the modules stay
importable for their details (``kura.crypto.aead``, ``kura.crypto.shamir``,
``kura.crypto.merkle``, ``kura.crypto.share``, ``kura.crypto.ecies``); the erasure and
regenerating codes the codec applies are in :mod:`kura.codes`.
"""

from kura.crypto.codec import EncodedFile, decode_bytes, decode_file, encode_bytes, encode_file
from kura.crypto.merkle import CHUNK_SIZE, MerkleBuilder, merkle_proof, merkle_root, verify_proof
from kura.crypto.share import ShareHeader, ShareInfo, verify_stream

__all__ = [
    "CHUNK_SIZE",
    "EncodedFile",
    "MerkleBuilder",
    "ShareHeader",
    "ShareInfo",
    "decode_bytes",
    "decode_file",
    "encode_bytes",
    "encode_file",
    "merkle_proof",
    "merkle_root",
    "verify_proof",
    "verify_stream",
]
