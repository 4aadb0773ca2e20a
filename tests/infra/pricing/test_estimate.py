"""infra.pricing.estimate: each priced resource from a template, and the refusal of the unknown."""

from __future__ import annotations

from typing import Any

import pytest

from infra.pricing import prices
from infra.pricing.estimate import UnpricedResource, estimate
from infra.pricing.prices import HOURS_PER_MONTH


def _templates(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"Stack": {"Resources": {f"R{i}": r for i, r in enumerate(resources)}}}


def _line(templates: dict[str, Any], starts: str) -> float:
    (found,) = [line.monthly for line in estimate(templates).idle if line.item.startswith(starts)]
    return found


def test_each_nat_gateway_is_priced_by_the_hour():
    nat = {"Type": "AWS::EC2::NatGateway", "Properties": {}}
    expected = round(2 * prices.NAT_GATEWAY_HOUR.usd * HOURS_PER_MONTH, 2)
    assert _line(_templates(nat, nat), "NAT gateway (2)") == expected


def test_fargate_is_task_size_times_desired_count():
    task = {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {"Cpu": "512", "Memory": "2048"},
    }
    service = {
        "Type": "AWS::ECS::Service",
        "Properties": {"DesiredCount": 3, "TaskDefinition": {"Ref": "R0"}},
    }
    vcpu, gb = prices.FARGATE_VCPU_HOUR["X86_64"].usd, prices.FARGATE_GB_HOUR["X86_64"].usd
    expected = round(3 * 0.5 * vcpu * HOURS_PER_MONTH, 2) + round(3 * 2 * gb * HOURS_PER_MONTH, 2)
    assert _line(_templates(task, service), "Fargate tasks (3 x 0.5 vCPU / 2 GB") == round(
        expected, 2
    )


def test_arm_tasks_use_the_arm_price():
    task = {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {
            "Cpu": "1024",
            "Memory": "1024",
            "RuntimePlatform": {"CpuArchitecture": "ARM64"},
        },
    }
    service = {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "R0"}}}
    arm = prices.FARGATE_VCPU_HOUR["ARM64"].usd + prices.FARGATE_GB_HOUR["ARM64"].usd
    assert _line(_templates(task, service), "Fargate") == round(arm * HOURS_PER_MONTH, 2)


def test_an_internet_facing_alb_pays_for_its_public_addresses():
    alb = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {"Scheme": "internet-facing", "Subnets": ["a", "b"]},
    }
    items = {line.item: line.monthly for line in estimate(_templates(alb)).idle}
    assert items["public IPv4 addresses of the ALB (2)"] == round(
        2 * prices.PUBLIC_IPV4_HOUR.usd * HOURS_PER_MONTH, 2
    )


def test_an_internal_nlb_has_no_public_address():
    nlb = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {"Scheme": "internal", "Type": "network"},
    }
    assert [line.item for line in estimate(_templates(nlb)).idle] == ["internal NLB"]


def test_a_web_acl_costs_its_month_and_each_rule():
    acl = {"Type": "AWS::WAFv2::WebACL", "Properties": {"Scope": "REGIONAL", "Rules": [{}] * 6}}
    expected = prices.WEB_ACL_MONTH.usd + 6 * prices.WAF_RULE_MONTH.usd
    assert _line(_templates(acl), "WAF web ACL (regional, 6 rules)") == expected


def test_a_metric_math_alarm_is_billed_per_metric_it_reads():
    math = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {"Metrics": [{"Expression": "a/b"}, {"MetricStat": {}}, {"MetricStat": {}}]},
    }
    single = {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "x"}}
    assert _line(_templates(math, single), "CloudWatch alarms (2, 3 metrics") == round(
        3 * prices.ALARM_METRIC_MONTH.usd, 2
    )


def test_types_without_an_idle_cost_add_nothing():
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {}}
    assert estimate(_templates(bucket)).idle == ()


def test_an_unknown_resource_type_stops_the_estimate_naming_it():
    table = {"Type": "AWS::DynamoDB::Table", "Properties": {}}
    with pytest.raises(UnpricedResource, match=r"^no price for AWS::DynamoDB::Table: add it"):
        estimate(_templates(table))


def test_requests_are_priced_per_million_for_the_api_kind_in_the_templates():
    rest = estimate(_templates({"Type": "AWS::ApiGateway::RestApi", "Properties": {}}))
    http = estimate(_templates({"Type": "AWS::ApiGatewayV2::Api", "Properties": {}}))
    assert [u.price for u in rest.usage] == [prices.REST_API_MILLION]
    assert [u.price for u in http.usage] == [prices.HTTP_API_MILLION]
