"""Development tooling, not needed to use kura: building the contracts, the native Merkle kernel and Kubo,
throwaway chains, and registering a devnet's nodes."""
