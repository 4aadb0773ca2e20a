"""What the deployed service serves: debug, demo and docs routes only when opened; body limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from aws_cdk.assertions import Capture, Template

from infra.config import AppConfig
from infra.stacks import build
from service import contract
from service.contract import Env
from tests.infra.templates import bare_app, container_with, every_task_definition_sets
from tests.support.servers import running_server

SWITCHES = (Env.DIAGNOSTICS_ENABLED, Env.DEMO_ROUTES_ENABLED, Env.API_DOCS_ENABLED)


def _environment(template: Template) -> dict[str, Any]:
    environment = Capture()
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"ContainerDefinitions": container_with(Environment=environment)},
    )
    return {item["Name"]: item["Value"] for item in environment.as_array()}


def test_the_default_deploy_keeps_debug_demo_and_docs_routes_closed(backend):
    every_task_definition_sets(backend, {name: "false" for name in SWITCHES})


def test_the_default_deploy_limits_request_bodies_to_one_mib(backend):
    assert contract.DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    every_task_definition_sets(backend, {Env.MAX_BODY_BYTES: "1048576"})


def test_opened_routes_and_a_body_limit_reach_the_container(tmp_path: Path):
    # Each switch opens only its own routes in the config (tests/infra/config); here the whole
    # environment the config computes reaches the task, so the wiring carries every setting.
    config = AppConfig.from_context({"app:demoRoutes": True, "app:maxBodyBytes": 4096})
    stacks = build(bare_app(tmp_path), config)  # no cdk-nag: the session synth has it
    assert stacks.network is not None
    environment = _environment(Template.from_stack(stacks.backend))
    expected = config.container_environment(
        allow_origins=["https://site.invalid"],
        trusted_networks=",".join(stacks.network.network.load_balancer_cidrs),
    )
    del environment[Env.ALLOW_ORIGINS], expected[Env.ALLOW_ORIGINS]  # a deploy-time reference
    assert environment == expected
    assert (environment[Env.DEMO_ROUTES_ENABLED], environment[Env.MAX_BODY_BYTES]) == (
        "true",
        "4096",
    )


# Values only known at deploy time (the CloudFront domain) and what only holds inside the
# container (0.0.0.0:8000) are replaced; every other variable is the template's own.
_DEPLOY_TIME_STAND_INS = {Env.ALLOW_ORIGINS: "https://d111111abcdef8.cloudfront.net"}
_CLOSED_ROUTES = ("/debug/request", "/api/boom", "/api/slow?ms=0", "/docs", "/redoc",
                  "/openapi.json")  # fmt: skip


def test_the_default_task_environment_serves_no_debug_demo_or_docs_route(backend, tmp_path):
    environment = {}
    for name, value in _environment(backend).items():
        if name in {Env.HOST, Env.PORT}:
            continue  # the test server binds loopback and a free port instead
        value = _DEPLOY_TIME_STAND_INS.get(name, value)
        assert isinstance(value, str), f"{name} is only known at deploy time: {value}"
        environment[name] = value
    with running_server(environment, tmp_path / "server.log") as server:
        assert httpx.get(server.url + contract.HEALTH_PATH).status_code == 200
        for path in _CLOSED_ROUTES:
            assert httpx.get(server.url + path).status_code == 404, path
