"""A market that audits only a sample of tasks is one flag away (``kura deploy --sampled``, ``kura.deploy(...,
sampled=True)``), and the default market audits every task."""

from __future__ import annotations

from typing import Any

import pytest

import kura
from kura.chain.params import SampledAuditsParams
from kura.units import WAD
from tests.integration.conftest import deployed_env, private_deployment


def test_the_default_deployment_audits_every_task(devnet: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    with private_deployment(tmp_path_factory) as network, kura.connect(network) as client:
        terms = client.contracts.sampler.params()
        assert terms == SampledAuditsParams() and not terms.sampling
        assert client.contracts.sampler.audit_probability_of(client.address) == WAD


def test_deploy_sampled_from_the_command_line_samples_with_the_documented_terms(
    devnet: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = deployed_env(devnet, tmp_path_factory, "--sampled")
    monkeypatch = pytest.MonkeyPatch()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        with kura.connect() as client:
            terms = client.contracts.sampler.params()
            assert terms == SampledAuditsParams.sampled() and terms.q_min == WAD // 128
            assert client.contracts.sampler.audit_probability_of(client.address) == WAD  # no record yet: always
            assert terms.min_stake(10**15) == 127 * 10**15 + 1
    finally:
        monkeypatch.undo()
