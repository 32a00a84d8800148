"""The JSON shapes of the repair service's requests and control replies (server and client share them): bytes
as base64, indices as ints. Repair data itself travels as binary streams (see :mod:`kura.storage.node.server`).

Every reader raises :class:`CodecError` naming the field, so the server answers
400 and the client reports a malformed reply.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from kura.codes.params import MAX_SHARES
from kura.errors import CodecError

MAX_REQUEST = 1 << 20
"""Largest request body, and largest JSON reply, in bytes. Requests and control replies are small (ids, headers,
keys, enrolment messages); repair data flows in streamed binary replies, which have no cap."""
PREFIX = "/v1/"
"""Every route's path prefix."""

Json = dict[str, Any]


def b64(data: bytes) -> str:
    """``data`` as standard base64 text."""
    return base64.b64encode(data).decode("ascii")


def parse(raw: bytes) -> Json:
    """A JSON object from raw bytes.

    Raises:
        CodecError: if it is not UTF-8 JSON or not an object.
    """
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CodecError(f"body is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise CodecError(f"body must be a JSON object, got {type(value).__name__}")
    return value


def dump(value: Json) -> bytes:
    """A JSON object as compact UTF-8 bytes."""
    return json.dumps(value, separators=(",", ":")).encode()


def _get(body: Mapping[str, Any], name: str) -> Any:
    if name not in body:
        raise CodecError(f"missing field {name!r}")
    return body[name]


def _blob(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise CodecError(f"field {name!r} must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise CodecError(f"field {name!r} is not base64: {exc}") from exc


def _index(value: Any, name: str) -> int:
    if type(value) is not int or not 0 <= value < MAX_SHARES:
        raise CodecError(f"field {name!r} must be a share index in 0..{MAX_SHARES - 1}, got {value!r}")
    return value


def text(body: Mapping[str, Any], name: str) -> str:
    """String field ``name``."""
    value = _get(body, name)
    if not isinstance(value, str):
        raise CodecError(f"field {name!r} must be a string")
    return value


def flag(body: Mapping[str, Any], name: str) -> bool:
    """Boolean field ``name``."""
    value = _get(body, name)
    if not isinstance(value, bool):
        raise CodecError(f"field {name!r} must be true or false")
    return value


def blob(body: Mapping[str, Any], name: str) -> bytes:
    """Base64 field ``name``, decoded."""
    return _blob(_get(body, name), name)


def index(body: Mapping[str, Any], name: str) -> int:
    """Share-index field ``name``."""
    return _index(_get(body, name), name)


def indices(body: Mapping[str, Any], name: str) -> list[int]:
    """List-of-share-indices field ``name``."""
    value = _get(body, name)
    if not isinstance(value, list):
        raise CodecError(f"field {name!r} must be a list of share indices")
    return [_index(item, name) for item in value]


def blobs(body: Mapping[str, Any], name: str) -> list[bytes]:
    """List-of-base64 field ``name``, decoded."""
    value = _get(body, name)
    if not isinstance(value, list):
        raise CodecError(f"field {name!r} must be a list of base64 strings")
    return [_blob(item, name) for item in value]


def blob_map(body: Mapping[str, Any], name: str) -> dict[int, bytes]:
    """Object field ``name`` from share index (a decimal key) to base64, decoded."""
    value = _get(body, name)
    if not isinstance(value, dict):
        raise CodecError(f"field {name!r} must be an object from share index to base64")
    result = {}
    for key, item in value.items():
        if not (isinstance(key, str) and key.isdecimal()):
            raise CodecError(f"field {name!r} has a key {key!r} that is not a share index")
        result[_index(int(key), name)] = _blob(item, name)
    return result


def encode_map(values: Mapping[int, bytes]) -> dict[str, str]:
    """The wire form of a share-index → bytes mapping (inverse of :func:`blob_map`)."""
    return {str(key): b64(value) for key, value in values.items()}
