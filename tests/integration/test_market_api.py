"""The data exchange through the public API: two hospitals and a research institute on a private deployment.

Records are synthetic FHIR (a few hundred patients per hospital, fixed seeds); storage is the session's real
Kubo nodes, the chain its real Anvil.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import kura
from kura.errors import ContractRevertError, KeyExchangeError, MarketError
from kura.market import synthetic
from kura.market.dataset import PreparedDataset, prepare_dataset
from kura.market.licence import Licence
from kura.market.package import DatasetPackage
from tests.integration.conftest import private_deployment

HOSPITAL, OTHER_HOSPITAL, INSTITUTE = 11, 12, 13
AS_OF = date(2025, 1, 1)
SALT = b"granite-general-pseudonym-salt-for-tests"


@pytest.fixture(scope="module")
def network(devnet: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[kura.NetworkConfig]:
    """The session devnet's endpoints, with a deployment of kura of its own."""
    with private_deployment(
        tmp_path_factory,
        {HOSPITAL: "Granite General", OTHER_HOSPITAL: "Great Basin", INSTITUTE: "Institute for Metabolic Research"},
    ) as network:
        yield network


@pytest.fixture(scope="module")
def prepared() -> PreparedDataset:
    profile = synthetic.PROFILES[next(iter(synthetic.PROFILES))]
    bundle = synthetic.generate(profile, 600, seed=11, as_of=AS_OF)
    return prepare_dataset(synthetic.resources(bundle), salt=SALT, as_of=AS_OF)


def test_list_buy_deliver_and_decrypt_a_dataset(
    network: kura.NetworkConfig, prepared: PreparedDataset, tmp_path: Path
) -> None:
    with (
        kura.connect(network, HOSPITAL, nodes="config") as seller,
        kura.connect(network, INSTITUTE, nodes="config") as buyer,
        kura.connect(network, OTHER_HOSPITAL, nodes="config") as bystander,
    ):
        listed = seller.market.publish(prepared, licence=Licence("HbA1c and BP, adults"), price="0.5", bond="0.1")
        assert listed.k >= 5 and listed.cohort_size == len(prepared.consent.members)

        view = buyer.market.show(listed.listing_id)
        assert view.seller_name == "Granite General" and view.consent_current
        assert view.licence.purposes == ("HRESCH",) and view.terms.price == kura.to_wei("0.5")

        bought = buyer.market.buy(listed.listing_id)
        with pytest.raises(MarketError, match="no delivery yet"):
            buyer.market.fetch(bought.purchase_id, tmp_path / "early.json")
        with pytest.raises(ContractRevertError, match="AlreadyPurchased"):
            buyer.market.buy(listed.listing_id)

        assert [d.purchase_id for d in seller.market.deliver_all()] == [bought.purchase_id]
        fetched = buyer.market.fetch(bought.purchase_id, tmp_path / "dataset.json")
        package = DatasetPackage.from_bytes((tmp_path / "dataset.json").read_bytes())
        assert package.table == prepared.deidentified.table and fetched.k == listed.k

        with pytest.raises(KeyExchangeError, match="use the account that bought it"):
            bystander.market.fetch(bought.purchase_id, tmp_path / "stolen.json")
        assert not (tmp_path / "stolen.json").exists()

        rows = list(csv.DictReader(io.StringIO(buyer.market.log_csv())))
        assert [int(r["purchase_id"]) for r in rows] == [bought.purchase_id]
        assert rows[0]["state"] == "DELIVERED" and int(rows[0]["consent_snapshot"]) == listed.consent_snapshot


def test_a_revocation_stops_new_sales_and_shows_in_the_transparency_query(
    network: kura.NetworkConfig, prepared: PreparedDataset
) -> None:
    with (
        kura.connect(network, HOSPITAL, nodes="config") as hospital,
        kura.connect(network, OTHER_HOSPITAL, nodes="config") as buyer,
    ):
        listed = hospital.market.publish(prepared, licence=Licence("second listing"), price="0.2")
        patient = prepared.consent.members[0].pseudonym
        me = hospital.consent.member_id()
        sold = buyer.market.buy(listed.listing_id)
        assert [i.use for i in hospital.consent.included(me, "HRESCH", patient)][-1] == f"sale {sold.purchase_id}"

        revoked = hospital.consent.revoke(me, "HRESCH", patient)

        assert listed.consent_snapshot in revoked.touched
        assert not buyer.market.show(listed.listing_id).consent_current
        with pytest.raises(ContractRevertError, match="ConsentNotCurrent"):
            kura.connect(network, INSTITUTE, nodes="config").market.buy(listed.listing_id)
        assert hospital.consent.status(me, "HRESCH").revocations == 1
