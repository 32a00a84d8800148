"""kura: confidential self-healing P2P storage and verifiable P2P computing on Ethereum."""
