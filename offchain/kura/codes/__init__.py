"""Coding theory for kura's shares (pure, no I/O): GF(2^8) arithmetic (:mod:`kura.codes.gf256`),
Reed–Solomon (:mod:`kura.codes.rs`) and the product-matrix MSR regenerating code (:mod:`kura.codes.msr`)
over one striped layout, and the scheme parameters with their costs (:mod:`kura.codes.params`).

:mod:`kura.crypto` builds the share format on these codes; the codes know nothing of keys or files.
"""
