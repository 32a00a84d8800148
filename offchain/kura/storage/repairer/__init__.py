"""The repairer: finds lost shares from the chain and rebuilds them onto fresh nodes through the nodes'
repair services (``kura repair run``)."""
