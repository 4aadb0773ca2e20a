"""What the deployed service serves: debug, demo and docs routes only when opened; body limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.config import AppConfig
from infra.stacks import build
from service import contract
from service.contract import Env

SWITCHES = {
    "diagnostics": Env.DIAGNOSTICS_ENABLED,
    "demo_routes": Env.DEMO_ROUTES_ENABLED,
    "api_docs": Env.API_DOCS_ENABLED,
}


def _backend(outdir: Path, **settings: Any) -> Template:
    # No cdk-nag here: the session synth checks the same constructs with it.
    app = cdk.App(outdir=str(outdir))
    stacks = build(app, AppConfig(**settings))
    return Template.from_stack(stacks.backend)


def _every_task_definition_has(template: Template, variables: dict[str, str]) -> None:
    """Every task definition (not just one of them) sets each variable to exactly this value."""
    everything = template.find_resources("AWS::ECS::TaskDefinition")
    # One pattern per variable: Match.array_with is order-sensitive, the checks here are not.
    matching = set(everything)
    for name, value in variables.items():
        entry = Match.array_with([{"Name": name, "Value": value}])
        container = Match.object_like({"Environment": entry})
        pattern = {"Properties": {"ContainerDefinitions": Match.array_with([container])}}
        matching &= set(template.find_resources("AWS::ECS::TaskDefinition", pattern))
    assert everything
    assert set(matching) == set(everything), variables


def test_default_deploy_keeps_debug_demo_and_docs_routes_closed(backend):
    _every_task_definition_has(backend, {name: "false" for name in SWITCHES.values()})


def test_default_deploy_limits_request_bodies_to_one_mib(backend):
    assert contract.DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    _every_task_definition_has(backend, {Env.MAX_BODY_BYTES: "1048576"})


@pytest.mark.parametrize("field", sorted(SWITCHES))
def test_each_switch_opens_only_its_own_routes(tmp_path, field):
    template = _backend(tmp_path, **{field: True})
    expected = {name: "true" if key == field else "false" for key, name in SWITCHES.items()}
    _every_task_definition_has(template, expected)


def test_max_body_bytes_reaches_the_container(tmp_path):
    template = _backend(tmp_path, max_body_bytes=4096)
    _every_task_definition_has(template, {Env.MAX_BODY_BYTES: "4096"})
