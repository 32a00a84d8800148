"""What kura's operations return: frozen dataclasses that turn into JSON the same way everywhere.

Every result type of the public API derives from :class:`Result`, so a script gets the same shape from
``result.to_json()`` as from the command line's ``--json``: bytes as ``0x`` hex, string enums by value and
numeric ones (states, roles) by name, paths and
decimals as strings, nested results and tuples as objects and lists.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (dicts, lists, strings, numbers, booleans, None).

    Raises:
        TypeError: for a value with no JSON form.
    """
    if isinstance(value, Enum):
        return value.value if isinstance(value, str) else value.name
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (Decimal, PurePath)):
        return str(value)
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    if isinstance(value, dict):
        return {str(jsonable(key)): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    raise TypeError(f"{type(value).__name__} has no JSON form")


def _fields(instance: Any) -> dict[str, Any]:
    return {field.name: jsonable(getattr(instance, field.name)) for field in dataclasses.fields(instance) if field.repr}


class Result:
    """Base of the dataclasses kura's operations return: ``to_dict()`` and ``to_json()``.

    Fields declared with ``field(repr=False)`` (keys, raw handles) are left out of both.
    """

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON data."""
        if not dataclasses.is_dataclass(self):
            raise TypeError(f"{type(self).__name__} derives from Result but is not a dataclass")
        return _fields(self)

    def to_json(self, *, indent: int | None = None) -> str:
        """The result as a JSON document (keys sorted)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)
