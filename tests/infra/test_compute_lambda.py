"""`app:compute=lambda`: the service as one function behind the REST API or the HTTP API."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from service.contract import SERVER_ONLY, Env
from tests.infra.conftest import Synth, cdk_json_context, resources, run_app, synthesize
from tests.infra.templates import cfn_lint_output, get_att, logical_id

HANDLER = "service.lambda_handler.handler"
FORBIDDEN_PREFIXES = (
    "AWS::EC2::",
    "AWS::ECS::",
    "AWS::ElasticLoadBalancingV2::",
    "AWS::ApplicationAutoScaling::",
)


@pytest.fixture(scope="module", params=["rest", "http-api"])
def lambda_synth(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = {
        **cdk_json_context(),
        "app:compute": "lambda",
        "app:ingress": request.param,
        "app:lambdaMemoryMiB": 1024,
        "app:lambdaTimeoutSeconds": 15,
    }
    return synthesize(tmp_path_factory.mktemp(f"lambda-{request.param}"), context)


def _function(synth: Synth) -> dict[str, Any]:
    backend = synth.template(synth.stacks.backend)
    (function,) = [
        body["Properties"]
        for body in resources(backend, "AWS::Lambda::Function").values()
        if body["Properties"].get("Handler") == HANDLER
    ]
    return dict(function)


def test_synth_passes_cdk_nag_and_cfn_lint(lambda_synth):
    assert lambda_synth.synth_error is None
    assert cfn_lint_output(lambda_synth.template_files()) is None


def test_there_is_no_vpc_nat_load_balancer_or_ecs_at_all(lambda_synth):
    assert lambda_synth.stacks.network is None
    for stack in lambda_synth.stacks.all():
        types = {body["Type"] for body in lambda_synth.raw(stack)["Resources"].values()}
        assert not [t for t in types if t.startswith(FORBIDDEN_PREFIXES)], stack.stack_name


def test_the_function_runs_python_3_11_with_the_settings(lambda_synth):
    function = _function(lambda_synth)
    assert function["Runtime"] == "python3.11"
    assert function["Architectures"] == ["arm64"]
    assert (function["MemorySize"], function["Timeout"]) == (1024, 15)
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert "VpcConfig" not in function


def test_the_function_gets_the_cors_settings_and_nothing_for_a_server(lambda_synth):
    variables = _function(lambda_synth)["Environment"]["Variables"]
    assert not set(variables) & SERVER_ONLY
    assert Env.FORWARDED_ALLOW_IPS not in variables
    edge = lambda_synth.stacks.edge.edge
    assert logical_id(edge.distribution) in str(variables[Env.ALLOW_ORIGINS])
    assert variables[Env.ALLOW_CREDENTIALS] == "true"


def test_the_api_invokes_the_function_as_a_proxy_and_answers_no_preflight_itself(lambda_synth):
    backend = lambda_synth.template(lambda_synth.stacks.backend)
    (function_id,) = [
        name
        for name, body in resources(backend, "AWS::Lambda::Function").items()
        if body["Properties"].get("Handler") == HANDLER
    ]
    if lambda_synth.config.topology.chosen_ingress.value == "rest":
        methods = resources(backend, "AWS::ApiGateway::Method").values()
        assert sorted(m["Properties"]["HttpMethod"] for m in methods) == ["ANY", "ANY"]
        for method in methods:
            integration = method["Properties"]["Integration"]
            assert integration["Type"] == "AWS_PROXY"
            assert function_id in str(integration["Uri"])
        assert len(resources(backend, "AWS::ApiGateway::GatewayResponse")) == 2
    else:
        (api,) = resources(backend, "AWS::ApiGatewayV2::Api").values()
        assert "CorsConfiguration" not in api["Properties"]
        (integration,) = resources(backend, "AWS::ApiGatewayV2::Integration").values()
        assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
        assert integration["Properties"]["IntegrationUri"] == get_att(function_id, "Arn")


def test_the_function_has_its_own_alarms_and_dashboard_column(lambda_synth):
    backend = lambda_synth.template(lambda_synth.stacks.backend)
    names = set()
    for alarm in resources(backend, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        names.add((props.get("Namespace"), props.get("MetricName")))
        for metric in props.get("Metrics", []):
            stat = metric.get("MetricStat", {}).get("Metric", {})
            names.add((stat.get("Namespace"), stat.get("MetricName")))
    assert {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles"), ("AWS/Lambda", "Duration")} <= (
        names
    )
    titles = [title for title, _ in lambda_synth.stacks.backend.dashboard.hops]
    assert titles[0] == "1 CloudFront (site)"
    assert titles[-1].endswith("Lambda function")


def test_the_site_deploys_after_the_backend_which_follows_the_edge(lambda_synth):
    stacks = lambda_synth.stacks
    assert stacks.edge in stacks.backend.dependencies
    assert stacks.backend in stacks.site.dependencies


@pytest.mark.parametrize(
    ("context", "line"),
    [
        (
            {"app:compute": "lambda", "app:lambdaMemoryMiB": "64"},
            "error: app:lambdaMemoryMiB=64: must be 128..10240 MiB",
        ),
        (
            {"app:compute": "lambda", "app:ingress": "rest-nlb"},
            "error: app:ingress=rest-nlb: is not offered with compute=lambda; choose one of rest, "
            "http-api",
        ),
        (
            {"app:compute": "lambda", "app:lambdaTimeoutSeconds": "60"},
            "error: app:lambdaTimeoutSeconds=60: must be 1..29 s",
        ),
    ],
)
def test_a_bad_lambda_setting_is_one_line(tmp_path, context, line):
    result = run_app(context, tmp_path)
    assert result.returncode == 1
    (only,) = result.stderr.strip().splitlines()
    assert only.startswith(line)


def test_a_backend_template_for_the_function_has_the_configured_log_retention(lambda_synth):
    backend: Template = lambda_synth.template(lambda_synth.stacks.backend)
    days = lambda_synth.config.logs.retention_days
    for group in resources(backend, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == days
