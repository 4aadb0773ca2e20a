"""What the deployed service serves: debug, demo and docs routes only when opened; body limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import httpx
import pytest
from aws_cdk.assertions import Match, Template

from infra.config import AppConfig
from infra.stacks import build
from service import contract
from service.contract import Env
from tests.support.servers import running_server

SWITCHES = {
    "app:diagnostics": Env.DIAGNOSTICS_ENABLED,
    "app:demoRoutes": Env.DEMO_ROUTES_ENABLED,
    "app:apiDocs": Env.API_DOCS_ENABLED,
}


def _backend(outdir: Path, context: dict[str, Any]) -> Template:
    # No cdk-nag here: the session synth checks the same constructs with it.
    app = cdk.App(outdir=str(outdir))
    stacks = build(app, AppConfig.from_context(context))
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


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_each_switch_opens_only_its_own_routes(tmp_path, switch):
    template = _backend(tmp_path, {switch: True})
    expected = {name: "true" if key == switch else "false" for key, name in SWITCHES.items()}
    _every_task_definition_has(template, expected)


def test_max_body_bytes_reaches_the_container(tmp_path):
    template = _backend(tmp_path, {"app:maxBodyBytes": 4096})
    _every_task_definition_has(template, {Env.MAX_BODY_BYTES: "4096"})


# Values only known at deploy time (the CloudFront domain) and what only holds inside the
# container (0.0.0.0:8000) are replaced; every other variable is the template's own.
_DEPLOY_TIME_STAND_INS = {Env.ALLOW_ORIGINS: "https://d111111abcdef8.cloudfront.net"}
_CLOSED_ROUTES = ("/debug/request", "/api/boom", "/api/slow?ms=0", "/docs", "/redoc",
                  "/openapi.json")  # fmt: skip


def test_the_default_task_environment_serves_no_debug_demo_or_docs_route(backend, tmp_path):
    (task,) = backend.find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    environment = {}
    for item in container["Environment"]:
        if item["Name"] in {Env.HOST, Env.PORT}:
            continue  # the test server binds loopback and a free port instead
        value = _DEPLOY_TIME_STAND_INS.get(item["Name"], item["Value"])
        assert isinstance(value, str), f"{item['Name']} is only known at deploy time: {value}"
        environment[item["Name"]] = value
    with running_server(environment, tmp_path / "server.log") as server:
        assert httpx.get(server.url + contract.HEALTH_PATH).status_code == 200
        for path in _CLOSED_ROUTES:
            assert httpx.get(server.url + path).status_code == 404, path
