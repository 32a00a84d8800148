"""`kura key change` through the public API, on the session's real Anvil and Kubo nodes: a hospital with a
stored file, a listing, one delivered sale and one paid sale moves to a new key; the run is interrupted half-way
and finished by running it again; afterwards the new key reads every file, sells and delivers, earlier buyers
keep their access, and the old key can do nothing (every path tried)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from eth_account import Account

import kura
from kura.chain.client import AccountSource
from kura.config import DEV_MNEMONIC
from kura.devnet.anvil import ACCOUNTS
from kura.errors import ContractRevertError, DecryptionError, KeyChangeError, MarketError
from kura.market import exchange, synthetic
from kura.market.dataset import PreparedDataset, prepare_dataset
from kura.market.licence import Licence
from kura.market.package import DatasetPackage
from kura.storage.client.files import StorageClient
from tests.integration.conftest import private_deployment

HOSPITAL, INSTITUTE, CLINIC, NEW, STRANGER = 14, 15, 16, 17, 18
AS_OF = date(2025, 1, 1)


class Interrupted(Exception):
    """Raised from the progress callback to stop a key change half-way, as a crash would."""


@pytest.fixture(scope="module")
def network(devnet: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[kura.NetworkConfig]:
    with private_deployment(
        tmp_path_factory, {HOSPITAL: "Granite General", INSTITUTE: "Metabolic Institute", CLINIC: "Great Basin Clinic"}
    ) as network:
        yield network


@pytest.fixture(scope="module")
def prepared() -> PreparedDataset:
    profile = synthetic.PROFILES[next(iter(synthetic.PROFILES))]
    bundle = synthetic.generate(profile, 300, seed=17, as_of=AS_OF)
    return prepare_dataset(synthetic.resources(bundle), salt=b"key-change-test-salt", as_of=AS_OF)


def stop_after_first_transfer(line: str) -> None:
    if "transferred" in line:
        raise Interrupted(line)


def test_after_a_key_change_the_new_key_does_everything_and_the_old_key_nothing(
    network: kura.NetworkConfig, prepared: PreparedDataset, tmp_path: Path
) -> None:
    with (
        kura.connect(network, HOSPITAL, nodes="config") as old,
        kura.connect(network, INSTITUTE, nodes="config") as institute,
        kura.connect(network, CLINIC, nodes="config") as clinic,
    ):
        notes = tmp_path / "notes.txt"
        notes.write_bytes(b"minutes of the ethics board\n" * 500)
        plain = old.storage.put(notes, k=2, n=3)
        listed = old.market.publish(prepared, licence=Licence("HbA1c by age band"), price="0.2", bond="0.05")
        delivered = institute.market.buy(listed.listing_id)
        old.market.deliver(delivered.purchase_id)
        paid = clinic.market.buy(listed.listing_id)  # paid before the change, delivered by the change
        me = old.consent.member_id()
        patient = prepared.consent.members[0].pseudonym

        new_account = old.chain.account(NEW)
        with pytest.raises(KeyChangeError, match="already this session's account"):
            old.institutions.change_key(old.account)
        with pytest.raises(ContractRevertError, match="AccountTaken"):  # another member's account: refused first
            old.institutions.change_key(institute.account)
        assert clinic.market.show(listed.listing_id).version == 1 and old.storage.ls() != []
        with pytest.raises(Interrupted):
            old.institutions.change_key(new_account, progress=stop_after_first_transfer)
        assert old.contracts.institutions.account_of(me) == new_account.address  # the chain part went through
        assert clinic.market.show(listed.listing_id).version == 2  # re-keyed by the old account before the change
        # the sale paid before the change needs the old key
        with kura.connect(network, NEW, nodes="config") as new, pytest.raises(MarketError, match="another key"):
            new.market.deliver(paid.purchase_id)
        report = old.institutions.change_key(new_account)  # run again: it finishes the job

        assert not report.account_changed and report.institution_id == me
        assert report.payout == new_account.address
        assert len(report.files_transferred) == 1  # the first run moved the other one before it stopped
        assert set(report.manifests_resealed) == {plain.file_id, listed.file_id}
        assert report.deliveries == (paid.purchase_id,)
        assert report.listings_rekeyed == () and report.listings_to_relist == ()  # done by the first run
        assert old.institutions.change_key(new_account).manifests_resealed == ()  # a third run has nothing left

        with kura.connect(network, NEW, nodes="config") as new:
            # The new key reads every file and owns them.
            assert {f.file_id for f in new.storage.ls()} == {plain.file_id, listed.file_id}
            new.storage.get(plain.file_id, tmp_path / "notes.copy")
            assert (tmp_path / "notes.copy").read_bytes() == notes.read_bytes()
            assert old.storage.ls() == []

            # Earlier buyers keep their access; the paid sale was delivered by the change.
            for buyer, purchase in ((institute, delivered), (clinic, paid)):
                buyer.market.fetch(purchase.purchase_id, tmp_path / f"bought-{purchase.purchase_id}.json")
                table = DatasetPackage.from_bytes((tmp_path / f"bought-{purchase.purchase_id}.json").read_bytes())
                assert table.table == prepared.deidentified.table

            # The new key sells the re-keyed listing and delivers it.
            view = clinic.market.show(listed.listing_id)
            assert view.version == 2 and view.consent_current
            terms = view.terms
            new_key = exchange.derive_dataset_key(
                bytes(new.account.key), file_id=terms.file_id, version=terms.file_version
            )
            old_key = exchange.derive_dataset_key(
                bytes(old.account.key), file_id=terms.file_id, version=terms.file_version
            )
            assert exchange.matches(new_key, terms.key_commitment)
            assert not exchange.matches(old_key, terms.key_commitment)
            second = clinic.market.buy(listed.listing_id)
            # its key derives none of the new keys
            with pytest.raises(MarketError, match="another key of the institution"):
                old.market.deliver(second.purchase_id)
            with pytest.raises(ContractRevertError, match="NotInstitutionAccount"):  # nor may it send the right one
                old.contracts.market.deliver(second.purchase_id, new_key, seller=old.account)
            assert [d.purchase_id for d in new.market.deliver_all()] == [second.purchase_id]
            clinic.market.fetch(second.purchase_id, tmp_path / "second.json")
            for buyer, purchase in ((institute, delivered), (clinic, second)):  # proceeds reach the new payout
                buyer.contracts.market.confirm(purchase.purchase_id, buyer=buyer.account)
            owed = 2 * (kura.to_wei("0.2") + kura.to_wei("0.05"))
            assert new.market.owed() == owed and old.market.owed() == 0
            assert new.market.withdraw() == owed
            new.consent.revoke(me, "HRESCH", patient)  # the institution's consent roots went with it

            # The old key can do nothing: not list, deliver, commit or revoke consent, vote, touch files,
            # read the new manifests, withdraw the institution's proceeds, or move the institution again.
            with pytest.raises(MarketError, match="not the account of a member institution"):
                old.market.publish(prepared, licence=Licence("again"), price="0.1")
            with pytest.raises(MarketError, match="not the account of a member institution"):
                old.consent.member_id()
            with pytest.raises(ContractRevertError, match="NotPatientOrInstitution"):
                old.consent.revoke(me, "HRESCH", prepared.consent.members[1].pseudonym)
            with pytest.raises(ContractRevertError, match="NotMemberAccount"):
                old.contracts.institutions.propose_policy(old.contracts.institutions.policy(), member=old.account)
            files, version = old.contracts.files, old.contracts.files.file_of(plain.file_id).version
            for action in (
                lambda: files.remove(plain.file_id, owner=old.account),
                lambda: files.rotate(plain.file_id, version, bytes(32), owner=old.account),
                lambda: files.transfer(plain.file_id, old.address, owner=old.account),
            ):
                with pytest.raises(ContractRevertError, match="NotFileOwner"):
                    action()
            with pytest.raises(DecryptionError):
                StorageClient(old.contracts, old.storage.pool, old.account).manifest(plain.file_id)
            with pytest.raises(ContractRevertError, match="NothingToWithdraw"):
                old.contracts.market.withdraw_payments(payee=old.account)
            with pytest.raises(KeyChangeError, match="neither"):
                old.institutions.change_key(old.chain.account(STRANGER))


def kura_cli(network: kura.NetworkConfig, *args: str) -> subprocess.CompletedProcess[str]:
    """``kura *args`` in a subprocess, on ``network``'s chain and nodes (and this module's deployment)."""
    endpoints = {
        "KURA_RPC_URL": network.rpc_url,
        "KURA_IPFS_APIS": ",".join(network.ipfs_apis),
        "KURA_PRIVATE_KEYS": ",".join(
            AccountSource(mnemonic=DEV_MNEMONIC).get(i).key.to_0x_hex() for i in range(ACCOUNTS)
        ),
    }
    return subprocess.run(
        [sys.executable, "-m", "kura", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **endpoints, "COLUMNS": "200"},
    )


def test_the_cli_refuses_bad_input_before_any_transaction_then_changes_the_key(
    network: kura.NetworkConfig, tmp_path: Path
) -> None:
    with kura.connect(network, CLINIC, nodes="config") as clinic:
        me, before = clinic.consent.member_id(), clinic.address
        new = Account.create()
        clinic.chain.w3.provider.make_request("anvil_setBalance", [new.address, hex(10**18)])
        key_file, garbage = tmp_path / "new.key", tmp_path / "garbage.key"
        key_file.write_text(new.key.to_0x_hex() + "\n")
        garbage.write_text("not a key\n")
        for bad in (("--to-account", str(NEW), "--key-file", str(key_file)), (), ("--key-file", str(garbage))):
            refused = kura_cli(network, "key", "change", "--account", str(CLINIC), *bad)
            assert refused.returncode == 1 and refused.stderr.startswith("error: "), refused.stderr
            assert "Traceback" not in refused.stderr
        assert clinic.contracts.institutions.account_of(me) == before

        # A run that stopped after the proposal: the next run accepts it and proposes nothing again.
        clinic.contracts.institutions.propose_account_change(new.address, member=clinic.account)
        done = kura_cli(network, "key", "change", "--account", str(CLINIC), "--key-file", str(key_file), "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert (report["institution_id"], report["old_account"], report["new_account"]) == (me, before, new.address)
        assert report["account_changed"] is True and report["payout"] == new.address
        assert clinic.contracts.institutions.member_id_of(new.address) == me
        proposals = clinic.contracts.institutions.contract.events.AccountChangeProposed().get_logs(
            from_block=0, argument_filters={"id": me}
        )
        assert [log.args.newAccount for log in proposals] == [new.address]
        again = kura_cli(network, "key", "change", "--account", str(CLINIC), "--key-file", str(key_file))
        assert again.returncode == 0 and f"now acts through {new.address}" in again.stdout, again.stderr
