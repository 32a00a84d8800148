"""Medical data exchange, the pure parts: synthetic FHIR records, consent, pseudonyms and de-identification.

Nothing here talks to a chain, an IPFS node or a terminal; the market facade does, on top of these:

- :mod:`kura.market.synthetic`: seeded synthetic FHIR R4 records for one institution.
- :mod:`kura.market.consent`: pseudonyms and the evaluation of FHIR ``Consent`` resources.
- :mod:`kura.market.snapshot`: the consent snapshot (consenting pseudonyms, Merkle root, proofs).
- :mod:`kura.market.merkle`: the sorted-pair keccak256 Merkle rule of OpenZeppelin's ``MerkleProof``.
- :mod:`kura.market.transparency`: which committed data uses included a patient, with proofs.
- :mod:`kura.market.deid`: FHIR records to a Safe Harbor, k-anonymous, l-diverse table and its certificate
  (built on ``safe_harbor``, ``hierarchy``, ``anonymity``, ``policy``, ``table`` and ``certificate``).
- :mod:`kura.market.exchange`: the fair exchange of a dataset key: per-purchase keys, sealing, opening, disputes.
- :mod:`kura.market.c2d`: compute-to-data jobs around the ``dp_cohort_aggregate`` module: the noise seed, the
  module's input from consenting patients' rows, and the checks a buyer runs on the output.
"""
