"""The codec applied to files on disk: encode into n share files, verify a share file, decode.

Shares live in a temporary folder between the codec and the network, so memory
stays bounded by the codec's segment buffers whatever the file size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kura.codes.params import CodeParams
from kura.crypto.codec import EncodedFile, decode_file, encode_file
from kura.crypto.share import ShareInfo, ShareVerifier
from kura.storage.shared.manifest import Manifest


@dataclass(frozen=True)
class EncodedShares:
    """n share files and the codec's description of them."""

    paths: dict[int, Path]
    file: EncodedFile


def share_paths(params: CodeParams, folder: Path) -> dict[int, Path]:
    """Where the n share files of one encoding go."""
    return {index: folder / f"share-{index}" for index in range(params.n)}


def encode_to(source: Path, params: CodeParams, file_id: bytes, sinks: Sequence[BinaryIO]) -> EncodedFile:
    """Encode ``source`` into ``sinks`` (one per share, in index order)."""
    with open(source, "rb") as src:
        return encode_file(src, params, sinks, file_id=file_id)


def encode(source: Path, params: CodeParams, file_id: bytes, folder: Path) -> EncodedShares:
    """Encode ``source`` into ``folder/share-<i>`` files."""
    paths = share_paths(params, folder)
    with ExitStack() as stack:
        sinks = [stack.enter_context(open(paths[index], "wb")) for index in range(params.n)]
        return EncodedShares(paths, encode_to(source, params, file_id, sinks))


def expected(manifest: Manifest) -> EncodedFile:
    """What the codec must find, rebuilt from a manifest."""
    return EncodedFile.from_manifest(
        manifest.file_id,
        CodeParams(manifest.scheme, manifest.k, manifest.n),
        manifest.size,
        manifest.codec,
        [ShareInfo(s.index, s.size, s.merkle_root, s.chunk_count) for s in manifest.shares],
    )


def verifier(manifest: Manifest, index: int) -> ShareVerifier:
    """A check of share ``index`` of the manifest's file, to feed while the share is downloaded."""
    return ShareVerifier(manifest.file_id, index, manifest.share(index).merkle_root)


def decode(
    paths: Mapping[int, Path], manifest: Manifest, target: Path, progress: Callable[[int], None] | None = None
) -> None:
    """Rebuild the file into ``target`` from share files that already passed :func:`verifier` (as they
    were fetched into a folder of this process's own), so their hashes are not computed a second time."""
    with ExitStack() as stack:
        streams = {index: stack.enter_context(open(path, "rb")) for index, path in paths.items()}
        with open(target, "wb") as dst:
            decode_file(streams, dst, expected(manifest), progress, verified=True)
