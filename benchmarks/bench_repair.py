"""Repair traffic of the MSR repair vs the cut-set bound and vs naive repair, and gas per repair commit.

Traffic is measured, not computed: a random ciphertext is MSR-encoded, ``d`` helpers
compute their repair symbols from their own shares, the lost share is rebuilt from
them and checked bit for bit, and the bytes the helpers produced are counted. Naive
repair (Storj, Tahoe, RS) downloads ``k`` whole shares. The gas figure is a real
``ShareRepairs.commitRepair`` on a throwaway Anvil.

Run:  .venv/bin/python benchmarks/bench_repair.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import secrets

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_canonical_address

from kura.chain.client import Chain
from kura.chain.deploy import FILE_REGISTRY_ARGS
from kura.chain.scratch import scratch_chain
from kura.crypto import merkle
from kura.crypto.msr import ProductMatrixMSR

ETH = 10**18


def traffic(k: int, n: int, size: int) -> tuple[int, int, float, int]:
    """(bytes moved by MSR repair, by naive repair, cut-set bound in bytes, share bytes)."""
    code = ProductMatrixMSR(k, n)
    data = os.urandom(size)
    shares = code.encode(data)
    lost = n - 1
    helpers = list(range(code.params.d))
    symbols = {h: code.repair_symbols(h, shares[h], lost) for h in helpers}
    assert code.repair(lost, symbols).tobytes() == shares[lost].tobytes()
    moved = sum(s.size for s in symbols.values())
    return moved, k * shares[0].size, code.params.cut_set_bound * size, shares[0].size


def funded_accounts(chain: Chain, count: int) -> list[LocalAccount]:
    """Fresh accounts with 10 ETH each (``anvil_setBalance``: the scratch chain is Anvil), as many as
    a file's share holders need (the devnet mnemonic funds only 30)."""
    accounts = [Account.create() for _ in range(count)]
    for account in accounts:
        chain.w3.provider.make_request("anvil_setBalance", [account.address, hex(10 * ETH)])
    return accounts


def commit_gas(chain: Chain, n: int) -> int:
    """Gas of one repair commit for a file of ``n`` shares."""
    owner = chain.account(0)
    files = chain.deploy("FileRegistry", *FILE_REGISTRY_ARGS, sender=owner)
    registry = chain.deploy("NodeRegistry", ETH, 1_000, 3, 5, 3, 2, sender=owner)
    audits = chain.deploy("StorageAudits", registry.address, files.address, 10**16, 2, 600, 1_000, 1_000, sender=owner)
    repairs = chain.deploy("ShareRepairs", registry.address, audits.address, files.address, 10**16, sender=owner)
    reg = chain.contract("NodeRegistry", registry.address)
    chain.transact(reg.functions.setJudge(repairs.address, True), sender=owner)
    chain.transact(chain.contract("FileRegistry", files.address).functions.setRepairer(repairs.address), sender=owner)
    nodes = funded_accounts(chain, n + 2)
    for node in nodes:
        chain.transact(reg.functions.register("peer", "http://x"), sender=node, value=ETH)
    roots = [secrets.token_bytes(32) for _ in range(n)]
    leaves = b"".join(bytes([i]) + to_canonical_address(nodes[i].address) + (64).to_bytes(4, "big") + roots[i]
                      for i in range(n))
    file_id = secrets.token_bytes(32)
    chain.transact(chain.contract("FileRegistry", files.address).functions.register(
        file_id, secrets.token_bytes(32), merkle.merkle_root(leaves, chunk_size=57)), sender=owner,
        value=FILE_REGISTRY_ARGS[0])
    chain.transact(reg.functions.announceExit(), sender=nodes[0])
    proof = merkle.merkle_proof(leaves, 0, chunk_size=57)
    call = chain.contract("ShareRepairs", repairs.address).functions.commitRepair(
        (file_id, 0, nodes[0].address, nodes[n].address, 64, roots[0], secrets.token_bytes(32)), proof)
    return int(chain.transact(call, sender=nodes[n + 1])["gasUsed"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small files and two codes; a few seconds")
    args = parser.parse_args()
    size = (1 << 20) if args.quick else (16 << 20)
    codes = [(3, 5), (4, 8)] if args.quick else [(2, 4), (3, 5), (4, 8), (6, 12), (8, 16), (10, 20)]
    print(f"repair of one lost share, file of {size >> 20} MiB (ratios: traffic / cut-set bound, / naive)")
    print(f"{'k-of-n':>7} {'d':>3} {'MSR bytes':>12} {'naive bytes':>12} {'bound bytes':>12} "
          f"{'MSR/bound':>9} {'MSR/naive':>9} {'MSR/share':>9}")
    for k, n in codes:
        moved, naive, bound, share = traffic(k, n, size)
        print(f"{k:>3}-of-{n:<3} {2 * k - 2:>3} {moved:>12,} {naive:>12,} {bound:>12,.0f} "
              f"{moved / bound:>9.3f} {moved / naive:>9.3f} {moved / share:>9.2f}")
    with scratch_chain() as chain:
        print(f"\n{'file shares':>11} {'commitRepair gas':>17} {'x transfer':>11}")
        for n in ((5, 16) if args.quick else (3, 5, 16, 64)):
            gas = commit_gas(chain, n)
            print(f"{n:>11} {gas:>17,} {gas / 21_000:>11.2f}")


if __name__ == "__main__":
    main()
