"""The WAF settings across the whole app: off by default, fully attached when on, bad values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks

from infra.config import AppConfig, ConfigError
from infra.stacks import build
from tests.infra.conftest import ROOT, Synth, cdk_json_context, only, resources
from tests.infra.templates import cfn_lint_output

ACL = "AWS::WAFv2::WebACL"
ASSOCIATION = "AWS::WAFv2::WebACLAssociation"
WAF_ON = {"app:waf": True, "app:cloudFrontWaf": True, "app:wafRateLimit": 600}


def _synthesize(outdir: Path, context: dict[str, Any], region: str | None) -> Synth:
    """As conftest.synthesize (cdk-nag included), with the Region app.py would pass."""
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    config = AppConfig.from_context(context, region=region)
    app = cdk.App(outdir=str(outdir), context=context)
    stacks = build(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    error: str | None = None
    try:
        app.synth()
    except RuntimeError as exc:
        error = str(exc)
    return Synth(app=app, config=config, stacks=stacks, outdir=outdir, synth_error=error)


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = {**cdk_json_context(), **WAF_ON}
    return _synthesize(tmp_path_factory.mktemp("waf"), context, region="us-east-1")


def _acknowledged(synth: Synth, rule: str) -> list[str]:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return [
        construct.node.path
        for construct in synth.app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
        for acknowledged in entry.data
        # Keys read "Annotation::AwsSolutions-APIG3" (cdk-nag's rules are annotations).
        if acknowledged.split("::")[-1] == rule
    ]


# ---- off by default ------------------------------------------------------------------------


def test_no_web_acl_is_deployed_by_default(synth):
    for stack in synth.stacks.all():
        template = synth.template(stack)
        template.resource_count_is(ACL, 0)
        template.resource_count_is(ASSOCIATION, 0)


def test_without_waf_the_missing_acls_are_acknowledged(synth):
    assert _acknowledged(synth, "AwsSolutions-APIG3")
    assert _acknowledged(synth, "AwsSolutions-CFR2")


# ---- on: the API stage ---------------------------------------------------------------------


def test_waf_attaches_exactly_one_regional_acl_to_the_api_stage(protected):
    backend = protected.template(protected.stacks.backend)
    acl_id, acl = only(backend, ACL)
    assert acl["Properties"]["Scope"] == "REGIONAL"
    _, association = only(backend, ASSOCIATION)
    (stage_id,) = resources(backend, "AWS::ApiGateway::Stage")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    parts = association["Properties"]["ResourceArn"]["Fn::Join"][1]
    assert {"Ref": stage_id} in parts
    assert "::/restapis/" in parts


def test_waf_rate_limit_reaches_the_acl(protected):
    backend = protected.template(protected.stacks.backend)
    _, acl = only(backend, ACL)
    limits = {
        rule["Statement"]["RateBasedStatement"]["Limit"]
        for rule in acl["Properties"]["Rules"]
        if "RateBasedStatement" in rule["Statement"]
    }
    assert limits == {600}


def test_the_api_acl_allows_the_same_origin_as_the_gateways_own_errors(protected):
    backend = protected.template(protected.stacks.backend)
    _, acl = only(backend, ACL)
    (block,) = {
        json.dumps(rule["Action"]["Block"]["CustomResponse"]["ResponseHeaders"], sort_keys=True)
        for rule in acl["Properties"]["Rules"]
        if "Action" in rule
    }
    headers = {h["Name"]: h["Value"] for h in json.loads(block)}
    gateway = next(iter(resources(backend, "AWS::ApiGateway::GatewayResponse").values()))
    quoted = gateway["Properties"]["ResponseParameters"][
        "gatewayresponse.header.Access-Control-Allow-Origin"
    ]
    # The gateway response quotes the origin ('...'); the web ACL sends it as it is.
    _, (prefix, domain, suffix) = quoted["Fn::Join"]
    assert (prefix, suffix) == ("'https://", "'")
    assert headers["Access-Control-Allow-Origin"] == {"Fn::Join": ["", ["https://", domain]]}
    assert headers["Access-Control-Allow-Credentials"] == "true"


# ---- on: CloudFront ------------------------------------------------------------------------


def test_cloudfront_waf_attaches_a_cloudfront_acl_to_the_distribution(protected):
    edge = protected.template(protected.stacks.edge)
    acl_id, acl = only(edge, ACL)
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    _, distribution = only(edge, "AWS::CloudFront::Distribution")
    web_acl = distribution["Properties"]["DistributionConfig"]["WebACLId"]
    assert web_acl == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_no_other_stack_gets_a_web_acl(protected):
    for stack in (protected.stacks.network, protected.stacks.site):
        protected.template(stack).resource_count_is(ACL, 0)


# ---- policy checks -------------------------------------------------------------------------


def test_with_waf_nothing_about_waf_is_acknowledged(protected):
    assert _acknowledged(protected, "AwsSolutions-APIG3") == []
    assert _acknowledged(protected, "AwsSolutions-CFR2") == []


def test_with_waf_cdk_nag_passes(protected):
    assert protected.synth_error is None
    report = json.loads((protected.outdir / "validation-report.json").read_text())
    assert [v for plugin in report["pluginReports"] for v in plugin["violations"]] == []


def test_with_waf_cfn_lint_reports_nothing(protected):
    files = [str(p) for p in protected.template_files()]
    assert len(files) == 4
    assert cfn_lint_output(files) is None


# ---- bad values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "region", "line"),
    [
        (
            {"app:wafRateLimit": "9"},
            None,
            "app:wafRateLimit=9: must be 10..2000000000 requests per 5 minutes",
        ),
        ({"app:wafRateLimit": "1e3"}, None, "app:wafRateLimit=1e3: must be a whole number"),
        ({"app:wafRateLimit": True}, None, "app:wafRateLimit=true: must be a whole number"),
        (
            {"app:waf": "true", "app:wafRateLimit": "30001"},
            None,
            "app:wafRateLimit=30001: must be at most 30000 with waf=true (throttleRateLimit x 300)",
        ),
        ({"app:waf": "maybe"}, None, "app:waf=maybe: "),
        (
            {"app:cloudFrontWaf": "true"},
            None,
            "app:cloudFrontWaf=true: CloudFront web ACLs must be created in us-east-1 and no "
            "Region is known at synth",
        ),
        (
            {"app:cloudFrontWaf": "true"},
            "eu-west-1",
            "app:cloudFrontWaf=true: CloudFront web ACLs must be created in us-east-1 and this "
            "app deploys to eu-west-1",
        ),
    ],
)
def test_bad_waf_values_stop_with_one_line(context, region, line):
    with pytest.raises(ConfigError) as caught:
        AppConfig.from_context({**cdk_json_context(), **context}, region=region)
    message = str(caught.value)
    assert message.startswith(line)
    assert "\n" not in message


def test_a_rate_limit_above_the_stage_is_inert_without_waf():
    config = AppConfig.from_context({"app:wafRateLimit": "2000000000"})
    assert config.waf.rate_limit == 2_000_000_000
    assert not config.waf.enabled


def test_rate_limits_at_the_bounds_are_accepted():
    assert AppConfig.from_context({"app:wafRateLimit": "10"}).waf.rate_limit == 10
    context = {"app:waf": "true", "app:wafRateLimit": "30000"}
    assert AppConfig.from_context(context).waf.rate_limit == 30_000


def test_cloudfront_waf_is_accepted_in_us_east_1():
    config = AppConfig.from_context({"app:cloudFrontWaf": "true"}, region="us-east-1")
    assert config.waf.cloudfront


def _run_app(
    context: dict[str, object], outdir: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    # The Region comes only from what each case sets, never from the machine running the test.
    regions = ("CDK_DEFAULT_REGION", "AWS_REGION")
    clean = {k: v for k, v in os.environ.items() if k not in regions}
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={
            **clean,
            **env,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "CDK_OUTDIR": str(outdir),
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("context", "env", "line"),
    [
        (
            {"app:wafRateLimit": "lots"},
            {},
            "error: app:wafRateLimit=lots: must be a whole number",
        ),
        (
            {"app:cloudFrontWaf": "true"},
            {"AWS_REGION": "us-east-1", "CDK_DEFAULT_REGION": "eu-central-1"},
            "error: app:cloudFrontWaf=true: CloudFront web ACLs must be created in us-east-1 "
            "and this app deploys to eu-central-1; deploy with AWS_REGION=us-east-1 or leave "
            "it off",
        ),
    ],
)
def test_app_py_stops_on_a_bad_waf_value_with_one_line(tmp_path, context, env, line):
    result = _run_app(context, tmp_path, **env)
    assert result.returncode == 1
    errors = [row for row in result.stderr.splitlines() if row.startswith("error:")]
    assert errors == [line], result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))
