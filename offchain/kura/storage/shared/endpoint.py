"""What a storage node announces in its registry ``endpoint``: its Kubo API and, optionally, its repair service.

The ``NodeRegistry`` keeps one string per node. It has always held the Kubo API
URL; a node that serves repair duties over HTTP (:mod:`kura.storage.node.server`)
appends its repair URL after one space::

    http://127.0.0.1:5001 repair=http://127.0.0.1:7070

A plain URL (the older form) is a node without a remote repair service. URLs
cannot contain spaces, so the split is unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

from kura.errors import ConfigError

_REPAIR = "repair="


@dataclass(frozen=True)
class NodeEndpoint:
    """A node's announced addresses.

    Attributes:
        kubo_api: The node's Kubo RPC API URL.
        repair_url: Base URL of its repair service, or None if it serves none.
    """

    kubo_api: str
    repair_url: str | None = None

    def encode(self) -> str:
        """The string to register.

        Raises:
            ConfigError: if either URL is empty or contains whitespace.
        """
        for url in (self.kubo_api, self.repair_url):
            if url is not None and (not url or any(c.isspace() for c in url)):
                raise ConfigError(f"endpoint URL {url!r} must be non-empty and contain no whitespace")
        return self.kubo_api if self.repair_url is None else f"{self.kubo_api} {_REPAIR}{self.repair_url}"


def parse_endpoint(text: str) -> NodeEndpoint:
    """Read a registered endpoint string (either form).

    Anyone can register any string, so this never fails: the first word is the Kubo API,
    the first non-empty ``repair=<url>`` word the repair service, and other words are ignored
    (a node that registered garbage is simply unreachable).
    """
    words = text.split()
    kubo_api = words[0] if words else ""
    repair = next((word[len(_REPAIR) :] for word in words[1:] if word.startswith(_REPAIR) and word != _REPAIR), None)
    return NodeEndpoint(kubo_api, repair)
