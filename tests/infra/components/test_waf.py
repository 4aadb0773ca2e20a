"""The WAF web ACL component on a bare stack: what it blocks, and how every block answers."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk.assertions import Template

from infra.components.waf import AclScope, WebAcl
from infra.config import WafSettings

SITE = "https://d111111abcdef8.cloudfront.net"
STAGE_ARN = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/v1"
MANAGED_GROUPS = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
}


def _template(
    *,
    rate_limit: int = 1000,
    acl_scope: AclScope = AclScope.REGIONAL,
    protected: dict[str, str] | None = None,
    cors_origin: str | None = SITE,
    allow_credentials: bool = True,
) -> Template:
    stack = cdk.Stack(cdk.App(), "Stack")
    WebAcl(
        stack,
        "Firewall",
        settings=WafSettings(enabled=True, rate_limit=rate_limit),
        acl_scope=acl_scope,
        protected={"ApiStage": STAGE_ARN} if protected is None else protected,
        cors_origin=cors_origin,
        allow_credentials=allow_credentials,
    )
    return Template.from_stack(stack)


def _acl(template: Template) -> dict[str, Any]:
    (acl,) = template.find_resources("AWS::WAFv2::WebACL").values()
    properties: dict[str, Any] = acl["Properties"]
    return properties


def _rules(template: Template) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in _acl(template)["Rules"]}


def _blocking_paths(acl: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """Every place this ACL can block a request, with the Block action's settings.

    A managed group whose result is not overridden blocks with its own rules' actions, which no
    custom response of ours reaches: it appears with None.
    """
    paths: list[tuple[str, dict[str, Any] | None]] = []
    if "Block" in acl["DefaultAction"]:
        paths.append(("default action", acl["DefaultAction"]["Block"]))
    for rule in acl["Rules"]:
        if "Block" in rule.get("Action", {}):
            paths.append((rule["Name"], rule["Action"]["Block"]))
        if "None" in rule.get("OverrideAction", {}):
            paths.append((rule["Name"], None))
    return paths


def _statements(node: Any) -> list[dict[str, Any]]:
    """Every statement nested in `node`, depth first."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("Statement") and isinstance(value, dict):
                found.append({key: value})
            found.extend(_statements(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_statements(item))
    return found


def test_the_web_acl_is_regional_allows_by_default_and_has_a_generated_name():
    acl = _acl(_template())
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert "Name" not in acl


def test_the_three_aws_managed_groups_only_count_and_label():
    rules = _rules(_template())
    groups = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]: rule
        for rule in rules.values()
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert set(groups) == MANAGED_GROUPS
    for rule in groups.values():
        assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
        assert rule["OverrideAction"] == {"Count": {}}
        assert "Action" not in rule


def test_what_the_managed_groups_would_block_is_blocked_after_them_by_label():
    rules = _rules(_template())
    label_rule = rules["BlockManagedRuleMatches"]
    keys = {
        (s["LabelMatchStatement"]["Scope"], s["LabelMatchStatement"]["Key"])
        for s in _statements(label_rule["Statement"])
        if "LabelMatchStatement" in s
    }
    assert keys == {
        ("NAMESPACE", "awswaf:managed:aws:core-rule-set:"),
        ("NAMESPACE", "awswaf:managed:aws:known-bad-inputs:"),
        ("LABEL", "awswaf:managed:aws:amazon-ip-list:AWSManagedIPReputationList"),
        ("LABEL", "awswaf:managed:aws:amazon-ip-list:AWSManagedReconnaissanceList"),
    }
    # The IP list's DDoS rule only counts by AWS's default; it stays that way.
    assert not any("DDoS" in key for _, key in keys)
    # Labels exist only once the groups have run: the label rule comes after all of them.
    group_priorities = [
        rule["Priority"]
        for rule in rules.values()
        if "ManagedRuleGroupStatement" in rule["Statement"]
    ]
    assert label_rule["Priority"] > max(group_priorities)


def test_each_address_is_rate_limited_at_the_configured_limit_over_five_minutes():
    rules = _rules(_template(rate_limit=250))
    rated = [
        rule["Statement"]["RateBasedStatement"]
        for rule in rules.values()
        if "RateBasedStatement" in rule["Statement"]
    ]
    assert len(rated) == 2
    for statement in rated:
        assert statement["Limit"] == 250
        assert statement["AggregateKeyType"] == "IP"
        assert statement["EvaluationWindowSec"] == 300


def test_preflights_and_other_requests_are_limited_separately_and_together_cover_all():
    rules = _rules(_template())
    preflight = _preflight_statement()
    requests = rules["RateLimitPerAddress"]["Statement"]["RateBasedStatement"]
    preflights = rules["RateLimitPreflightsPerAddress"]["Statement"]["RateBasedStatement"]
    assert preflights["ScopeDownStatement"] == preflight
    assert requests["ScopeDownStatement"] == {"NotStatement": {"Statement": preflight}}


def test_a_preflight_is_never_blocked_by_managed_rule_labels():
    # A failed preflight is a CORS error to the page; the real request gets the readable 403.
    statement = _rules(_template())["BlockManagedRuleMatches"]["Statement"]
    assert {"NotStatement": {"Statement": _preflight_statement()}} in statement["AndStatement"][
        "Statements"
    ]


def _preflight_statement() -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {"Method": {}},
            "PositionalConstraint": "EXACTLY",
            "SearchString": "OPTIONS",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


def test_every_block_is_a_403_with_cors_headers_for_the_site_origin():
    acl = _acl(_template())
    paths = _blocking_paths(acl)
    assert {name for name, _ in paths} == {
        "RateLimitPerAddress",
        "RateLimitPreflightsPerAddress",
        "BlockManagedRuleMatches",
    }
    for name, block in paths:
        assert block is not None, f"{name} blocks with WAF's bare default response"
        response = block["CustomResponse"]
        assert response["ResponseCode"] == 403, name
        assert response["CustomResponseBodyKey"] in acl["CustomResponseBodies"], name
        headers = {h["Name"]: h["Value"] for h in response["ResponseHeaders"]}
        assert headers == {
            "Access-Control-Allow-Origin": SITE,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }, name


def test_without_credentials_the_block_does_not_allow_them():
    acl = _acl(_template(allow_credentials=False))
    for name, block in _blocking_paths(acl):
        assert block is not None, name
        headers = {h["Name"]: h["Value"] for h in block["CustomResponse"]["ResponseHeaders"]}
        assert headers == {"Access-Control-Allow-Origin": SITE, "Vary": "Origin"}, name


def test_without_an_origin_the_block_carries_no_cors_headers():
    acl = _acl(_template(cors_origin=None))
    for name, block in _blocking_paths(acl):
        assert block is not None, name
        assert "ResponseHeaders" not in block["CustomResponse"], name


def test_block_bodies_are_json_with_a_readable_message():
    bodies = _acl(_template())["CustomResponseBodies"]
    assert set(bodies) == {"blocked", "rate-limited"}
    for body in bodies.values():
        assert body["ContentType"] == "APPLICATION_JSON"
        message = json.loads(body["Content"])["message"]
        assert "web application firewall" in message


def test_every_rule_and_the_acl_publish_metrics_and_sample_requests():
    acl = _acl(_template())
    configs = [acl["VisibilityConfig"], *(rule["VisibilityConfig"] for rule in acl["Rules"])]
    assert len(configs) == 1 + 6
    for config in configs:
        assert config["CloudWatchMetricsEnabled"] is True
        assert config["SampledRequestsEnabled"] is True
    names = [config["MetricName"] for config in configs]
    assert len(set(names)) == len(names)


def test_rule_priorities_are_distinct():
    priorities = [rule["Priority"] for rule in _acl(_template())["Rules"]]
    assert len(set(priorities)) == len(priorities)


def test_each_protected_resource_is_associated():
    template = _template(protected={"ApiStage": STAGE_ARN, "PublicAlb": "arn:aws:elb:x"})
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 2)
    (acl_id,) = template.find_resources("AWS::WAFv2::WebACL")
    arns = {
        body["Properties"]["ResourceArn"]
        for body in template.find_resources("AWS::WAFv2::WebACLAssociation").values()
        if body["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    }
    assert arns == {STAGE_ARN, "arn:aws:elb:x"}


def test_the_stage_association_names_the_stage_arn_and_waits_for_the_stage():
    stack = cdk.Stack(cdk.App(), "Stack")
    api = apigw.RestApi(stack, "Api", deploy_options=apigw.StageOptions(stage_name="v1"))
    api.root.add_method("GET")
    WebAcl(
        stack,
        "Firewall",
        settings=WafSettings(enabled=True),
        acl_scope=AclScope.REGIONAL,
        protected={"ApiStage": api.deployment_stage.stage_arn},
        cors_origin=SITE,
    )
    template = Template.from_stack(stack)
    (association,) = template.find_resources("AWS::WAFv2::WebACLAssociation").values()
    (stage_id,) = template.find_resources("AWS::ApiGateway::Stage")
    (api_id,) = template.find_resources("AWS::ApiGateway::RestApi")
    # arn:aws:apigateway:{region}::/restapis/{id}/stages/{stage}; the Ref orders it after the
    # stage in CloudFormation.
    assert association["Properties"]["ResourceArn"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":apigateway:",
                {"Ref": "AWS::Region"},
                "::/restapis/",
                {"Ref": api_id},
                "/stages/",
                {"Ref": stage_id},
            ],
        ]
    }


def test_a_cloudfront_acl_refuses_every_region_but_us_east_1():
    template = _template(acl_scope=AclScope.CLOUDFRONT, protected={}, cors_origin=None)
    assert _acl(template)["Scope"] == "CLOUDFRONT"
    rules = template.to_json()["Rules"]
    assertions = [a["Assert"] for rule in rules.values() for a in rule["Assertions"]]
    assert {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]} in assertions


def test_a_regional_acl_deploys_in_any_region():
    rules = _template().to_json().get("Rules", {})
    assertions = [a["Assert"] for rule in rules.values() for a in rule["Assertions"]]
    assert not [a for a in assertions if {"Ref": "AWS::Region"} in a.get("Fn::Equals", [])]


def test_a_cloudfront_acl_takes_no_associations():
    with pytest.raises(ValueError, match="web_acl_id"):
        _template(acl_scope=AclScope.CLOUDFRONT)
