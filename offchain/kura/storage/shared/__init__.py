"""What the storage client, the storage node and the repairer share: the manifest and its store on IPFS,
the on-chain commitment to a file's shares, the public share table, the node directory and pool, and the
repair service's wire format."""
