"""Talking to IPFS (Kubo) nodes over their HTTP RPC API."""

from kura.ipfs.client import KuboClient, NodeInfo

__all__ = ["KuboClient", "NodeInfo"]
