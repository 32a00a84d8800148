"""``kura deid``: de-identify FHIR records (Safe Harbor, k-anonymity, ℓ-diversity) and check a table."""

from __future__ import annotations

from pathlib import Path

import typer

from kura.cli._context import JSON
from kura.cli._output import emit
from kura.cli._records import AS_OF, RECORDS, as_of, records
from kura.errors import ConfigError

app = typer.Typer(
    help="De-identification: Safe Harbor, then generalisation until k-anonymity and ℓ-diversity hold.",
    no_args_is_help=True,
)

K = typer.Option(5, "--k", min=2, help="Every equivalence class of quasi-identifiers has at least k rows.")
L = typer.Option(2, "--l", min=1, help="Every class holds at least l distinct diagnoses.")


@app.command()
def apply(
    path: Path = RECORDS,
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the table (CSV)."),
    certificate: Path = typer.Option(..., "--certificate", "-c", help="Where to write its certificate (JSON)."),
    k: int = K,
    l: int = L,  # noqa: E741 - ℓ of ℓ-diversity
    day: str | None = AS_OF,
    as_json: bool = JSON,
) -> None:
    """De-identify every patient in PATH into a table and its certificate (refused, with the classes that are too
    small, when k and ℓ cannot be reached)."""
    from kura.market.deid import deidentify
    from kura.market.policy import DeidPolicy

    result = deidentify(records(path), as_of(day), DeidPolicy(k_anonymity=k, l_diversity=l))
    output.write_text(result.table.to_csv())
    certificate.write_text(result.certificate.to_json())
    cert = result.certificate
    emit(
        {
            "table": str(output),
            "certificate": str(certificate),
            "k": cert.k,
            "l": cert.l,
            "records_in": cert.records_in,
            "records_out": cert.records_out,
            "suppressed": cert.suppressed,
            "digest": "0x" + cert.digest().hex(),
        },
        as_json=as_json,
        text=f"[green]de-identified[/] {cert.records_in} patients into {cert.records_out} rows "
        f"(k = {cert.k}, ℓ = {cert.l}, {cert.suppressed} suppressed) → {output}, {certificate}",
    )


@app.command()
def check(
    table: Path = typer.Argument(..., exists=True, dir_okay=False, help="A de-identified table (CSV)."),
    certificate: Path = typer.Argument(..., exists=True, dir_okay=False, help="Its certificate (JSON)."),
    as_json: bool = JSON,
) -> None:
    """Check that TABLE is what CERTIFICATE says: same digest, and k and ℓ recomputed from the rows."""
    from kura.market.certificate import DeidCertificate, verify
    from kura.market.table import DeidTable

    cert = DeidCertificate.from_json(certificate.read_text())
    verify(DeidTable.from_csv(table.read_text()), cert)
    emit(
        {"ok": True, "k": cert.k, "l": cert.l, "rows": cert.records_out, "digest": "0x" + cert.digest().hex()},
        as_json=as_json,
        text=f"[green]ok[/]: {cert.records_out} rows, k = {cert.k}, ℓ = {cert.l}, certificate 0x{cert.digest().hex()}",
    )


@app.command()
def synth(
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the Bundle (JSON)."),
    profile: str = typer.Option("granite-general", "--profile", help="Which synthetic institution."),
    patients: int = typer.Option(3000, "--patients", min=1, help="How many patients."),
    seed: int = typer.Option(7, "--seed", help="Seed: the same seed gives the same records."),
    day: str | None = AS_OF,
    as_json: bool = JSON,
) -> None:
    """Write synthetic but realistic FHIR R4 records of one institution (for demos and tests)."""
    import json

    from kura.market import synthetic

    if profile not in synthetic.PROFILES:
        raise ConfigError(f"unknown profile {profile!r}: choose one of {', '.join(synthetic.PROFILES)}")
    bundle = synthetic.generate(synthetic.PROFILES[profile], patients, seed, as_of(day))
    output.write_text(json.dumps(bundle))
    emit(
        {"path": str(output), "resources": len(bundle.get("entry", ()))},
        as_json=as_json,
        text=f"[green]wrote[/] {len(bundle.get('entry', ())):,} resources of {patients:,} patients to {output}",
    )
