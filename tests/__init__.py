"""kura's test suite: unit/ (no services), integration/ and contracts/ (real Anvil and Kubo), and their helpers."""
