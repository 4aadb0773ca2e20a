"""Price the idle month of synthesized templates, resource by resource.

"Idle" is the month with no requests: what runs by the hour (NAT gateways, load balancers,
tasks, public addresses) and what is billed by the month (keys, web ACLs, alarms, dashboards).
What requests and data add is listed per million or per GB, never guessed. Every resource type
in a template is either priced here or on the list of types without an idle cost; any other
type stops the estimate with one line, so a new resource is priced on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from infra.pricing import prices
from infra.pricing.prices import HOURS_PER_MONTH, Price

Template = Mapping[str, Any]

# The service's own function (compute=lambda), priced per request; other functions are CDK's.
SERVICE_HANDLER: Final = "service.lambda_handler.handler"
# Types that cost nothing while idle (the network's plumbing, IAM, configuration, deployment
# helpers that run only during `cdk deploy`) or cost only by use (listed as usage lines).
NO_IDLE_COST: Final = frozenset(
    {
        "AWS::ApiGateway::Account",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Stage",
        "AWS::ApiGateway::VpcLink",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::VpcLink",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::CDK::Metadata",
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::Function",
        "AWS::CloudFront::VpcOrigin",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::EC2::FlowLog",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::Route",
        "AWS::EC2::RouteTable",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::Subnet",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::VPC",
        "AWS::EC2::VPCCidrBlock",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::ECS::Cluster",
        "AWS::ECS::TaskDefinition",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::KMS::Alias",
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::WAFv2::WebACLAssociation",
        "Custom::AWS",
        "Custom::CDKBucketDeployment",
        "Custom::VpcRestrictDefaultSG",
    }
)


class UnpricedResource(ValueError):
    """A resource type neither priced nor known to cost nothing while idle."""


@dataclass(frozen=True)
class Line:
    """One priced item of the idle month."""

    item: str
    basis: str
    monthly: float


@dataclass(frozen=True)
class Usage:
    """What each unit of use adds (requests, data), at its list price."""

    item: str
    price: Price


@dataclass(frozen=True)
class Estimate:
    idle: tuple[Line, ...]
    usage: tuple[Usage, ...]

    @property
    def idle_total(self) -> float:
        return round(sum(line.monthly for line in self.idle), 2)


def _hourly(price: Price, count: float) -> float:
    return round(price.usd * HOURS_PER_MONTH * count, 2)


def _resources(templates: Mapping[str, Template]) -> list[dict[str, Any]]:
    return [
        resource
        for template in templates.values()
        for resource in template.get("Resources", {}).values()
    ]


def estimate(templates: Mapping[str, Template]) -> Estimate:
    """The idle month and the usage prices of everything in `templates` (name -> JSON)."""
    resources = _resources(templates)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["Type"], []).append(resource)
    unknown = sorted(t for t in by_type if t not in NO_IDLE_COST and t not in _PRICED)
    if unknown:
        raise UnpricedResource(
            f"no price for {', '.join(unknown)}: add it to infra/pricing (priced, or on the "
            "list of types without an idle cost)"
        )
    idle: list[Line] = []
    for type_, pricer in _PRICED.items():
        idle.extend(pricer(by_type.get(type_, []), templates))
    return Estimate(idle=tuple(line for line in idle if line.monthly), usage=_usage(by_type))


def _nat_gateways(found: list[dict[str, Any]], _: Mapping[str, Template]) -> Iterable[Line]:
    if found:
        yield Line(
            f"NAT gateway ({len(found)})",
            f"${prices.NAT_GATEWAY_HOUR.usd}/h x {HOURS_PER_MONTH} h",
            _hourly(prices.NAT_GATEWAY_HOUR, len(found)),
        )


def _elastic_ips(found: list[dict[str, Any]], _: Mapping[str, Template]) -> Iterable[Line]:
    if found:
        yield Line(
            f"public IPv4 address ({len(found)}, the NAT gateways')",
            f"${prices.PUBLIC_IPV4_HOUR.usd}/h",
            _hourly(prices.PUBLIC_IPV4_HOUR, len(found)),
        )


def _load_balancers(found: list[dict[str, Any]], _: Mapping[str, Template]) -> Iterable[Line]:
    for balancer in found:
        props = balancer.get("Properties", {})
        network = props.get("Type") == "network"
        scheme = props.get("Scheme", "internet-facing")
        price = prices.NLB_HOUR if network else prices.ALB_HOUR
        kind = "NLB" if network else "ALB"
        yield Line(f"{scheme} {kind}", f"${price.usd}/h (capacity units: usage)", _hourly(price, 1))
        if scheme == "internet-facing":
            zones = len(props.get("Subnets", [])) or 2
            yield Line(
                f"public IPv4 addresses of the {kind} ({zones})",
                f"${prices.PUBLIC_IPV4_HOUR.usd}/h each",
                _hourly(prices.PUBLIC_IPV4_HOUR, zones),
            )


def _task_definition(service: dict[str, Any], templates: Mapping[str, Template]) -> dict[str, Any]:
    reference = service["Properties"]["TaskDefinition"]
    logical_id = reference["Ref"]
    for template in templates.values():
        found = template.get("Resources", {}).get(logical_id)
        if found is not None and found["Type"] == "AWS::ECS::TaskDefinition":
            return dict(found["Properties"])
    raise UnpricedResource(
        f"the ECS service's task definition {logical_id} is not in the templates"
    )


def _fargate(found: list[dict[str, Any]], templates: Mapping[str, Template]) -> Iterable[Line]:
    for service in found:
        task = _task_definition(service, templates)
        count = int(service["Properties"].get("DesiredCount", 1))
        vcpu = int(task["Cpu"]) / 1024
        memory_gb = int(task["Memory"]) / 1024
        platform = task.get("RuntimePlatform", {}).get("CpuArchitecture", "X86_64")
        cpu_price = prices.FARGATE_VCPU_HOUR[platform]
        gb_price = prices.FARGATE_GB_HOUR[platform]
        network = service["Properties"].get("NetworkConfiguration", {})
        if network.get("AwsvpcConfiguration", {}).get("AssignPublicIp") == "ENABLED":
            yield Line(
                f"public IPv4 addresses of the tasks ({count})",
                f"${prices.PUBLIC_IPV4_HOUR.usd}/h each",
                _hourly(prices.PUBLIC_IPV4_HOUR, count),
            )
        yield Line(
            f"Fargate tasks ({count} x {vcpu:g} vCPU / {memory_gb:g} GB, {platform})",
            f"${cpu_price.usd} per vCPU-h, ${gb_price.usd} per GB-h",
            round(_hourly(cpu_price, count * vcpu) + _hourly(gb_price, count * memory_gb), 2),
        )


def _keys(found: list[dict[str, Any]], _: Mapping[str, Template]) -> Iterable[Line]:
    if found:
        yield Line(
            f"KMS customer managed keys ({len(found)})",
            f"${prices.KMS_KEY_MONTH.usd:g}/month each (requests: usage)",
            round(prices.KMS_KEY_MONTH.usd * len(found), 2),
        )


def _web_acls(found: list[dict[str, Any]], _: Mapping[str, Template]) -> Iterable[Line]:
    for acl in found:
        rules = len(acl["Properties"].get("Rules", []))
        scope = acl["Properties"].get("Scope", "REGIONAL")
        yield Line(
            f"WAF web ACL ({scope.lower()}, {rules} rules)",
            f"${prices.WEB_ACL_MONTH.usd:g}/month + ${prices.WAF_RULE_MONTH.usd:g} per rule",
            round(prices.WEB_ACL_MONTH.usd + prices.WAF_RULE_MONTH.usd * rules, 2),
        )


def _alarm_metrics(alarm: dict[str, Any]) -> int:
    props = alarm["Properties"]
    if "Metrics" in props:
        # A metric-math alarm is billed for each metric its expression reads.
        return sum(1 for metric in props["Metrics"] if "MetricStat" in metric)
    return 1


def _alarms(found: list[dict[str, Any]], _: Mapping[str, Template]) -> Iterable[Line]:
    if found:
        metrics = sum(_alarm_metrics(alarm) for alarm in found)
        conditioned = sum(1 for alarm in found if "Condition" in alarm)
        note = f"; {conditioned} only in us-east-1" if conditioned else ""
        yield Line(
            f"CloudWatch alarms ({len(found)}, {metrics} metrics{note})",
            f"${prices.ALARM_METRIC_MONTH.usd} per metric-month",
            round(prices.ALARM_METRIC_MONTH.usd * metrics, 2),
        )


def _dashboards(found: list[dict[str, Any]], _: Mapping[str, Template]) -> Iterable[Line]:
    if found:
        yield Line(
            f"CloudWatch dashboard ({len(found)})",
            f"${prices.DASHBOARD_MONTH.usd:g}/month beyond 3 free per account",
            round(prices.DASHBOARD_MONTH.usd * len(found), 2),
        )


_PRICED: Final = {
    "AWS::EC2::NatGateway": _nat_gateways,
    "AWS::EC2::EIP": _elastic_ips,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancers,
    "AWS::ECS::Service": _fargate,
    "AWS::KMS::Key": _keys,
    "AWS::WAFv2::WebACL": _web_acls,
    "AWS::CloudWatch::Alarm": _alarms,
    "AWS::CloudWatch::Dashboard": _dashboards,
}


def _usage(by_type: Mapping[str, list[dict[str, Any]]]) -> tuple[Usage, ...]:
    usage: list[Usage] = []
    if "AWS::ApiGateway::RestApi" in by_type:
        usage.append(Usage("REST API requests", prices.REST_API_MILLION))
    if "AWS::ApiGatewayV2::Api" in by_type:
        usage.append(Usage("HTTP API requests", prices.HTTP_API_MILLION))
    if "AWS::WAFv2::WebACL" in by_type:
        count = len(by_type["AWS::WAFv2::WebACL"])
        usage.append(Usage(f"requests through the web ACLs ({count})", prices.WAF_MILLION))
    if "AWS::CloudFront::Distribution" in by_type:
        usage.append(Usage("CloudFront HTTPS requests", prices.CLOUDFRONT_MILLION))
        usage.append(Usage("CloudFront data out", prices.CLOUDFRONT_GB))
    if "AWS::CloudFront::Function" in by_type:
        usage.append(
            Usage(
                "CloudFront Function invocations (page loads)", prices.CLOUDFRONT_FUNCTION_MILLION
            )
        )
    if "AWS::EC2::NatGateway" in by_type:
        usage.append(Usage("NAT gateway data (image pulls, AWS APIs)", prices.NAT_GATEWAY_GB))
    if "AWS::ElasticLoadBalancingV2::LoadBalancer" in by_type:
        usage.append(Usage("ALB capacity units", prices.ALB_LCU_HOUR))
    if any(
        b.get("Properties", {}).get("Type") == "network"
        for b in by_type.get("AWS::ElasticLoadBalancingV2::LoadBalancer", [])
    ):
        usage.append(Usage("NLB capacity units", prices.NLB_NLCU_HOUR))
    for function in by_type.get("AWS::Lambda::Function", []):
        props = function.get("Properties", {})
        if props.get("Handler") != SERVICE_HANDLER:
            continue  # CDK's deploy-time helpers
        architecture = (props.get("Architectures") or ["x86_64"])[0]
        memory_gb = int(props.get("MemorySize", 128)) / 1024
        gb_second = prices.LAMBDA_GB_SECOND[architecture]
        per_million = round(
            prices.LAMBDA_REQUESTS_MILLION.usd
            + gb_second.usd * memory_gb * prices.ASSUMED_DURATION_SECONDS * 1_000_000,
            2,
        )
        usage.append(
            Usage(
                f"the service's function ({architecture}, {memory_gb * 1024:g} MiB, "
                f"{prices.ASSUMED_DURATION_SECONDS * 1000:g} ms each assumed)",
                Price(per_million, "million requests", gb_second.source),
            )
        )
    if "AWS::Logs::LogGroup" in by_type:
        usage.append(
            Usage("logs ingested (app, access, flow logs, Container Insights)", prices.LOGS_GB)
        )
    if "AWS::ApiGateway::Stage" in by_type:
        usage.append(Usage("X-Ray traces of the API stage", prices.XRAY_MILLION))
    return tuple(usage)
