"""AWS list prices in us-east-1, on demand, before free tiers: one entry per priced unit.

Each price names the AWS pricing page it comes from and when it was read. The tests do not
fetch them (the network reaches only package registries); a price change is an edit here, and
the README's cost section is regenerated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

HOURS_PER_MONTH: Final = 730
READ: Final = "2026-11"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str
    read: str = READ


VPC = "https://aws.amazon.com/vpc/pricing/"
ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/"
FARGATE = "https://aws.amazon.com/fargate/pricing/"
KMS = "https://aws.amazon.com/kms/pricing/"
WAF = "https://aws.amazon.com/waf/pricing/"
CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
API_GATEWAY = "https://aws.amazon.com/api-gateway/pricing/"
CLOUDFRONT = "https://aws.amazon.com/cloudfront/pricing/"
XRAY = "https://aws.amazon.com/xray/pricing/"

NAT_GATEWAY_HOUR: Final = Price(0.045, "NAT gateway-hour", VPC)
NAT_GATEWAY_GB: Final = Price(0.045, "GB processed by a NAT gateway", VPC)
PUBLIC_IPV4_HOUR: Final = Price(0.005, "public IPv4 address-hour", VPC)
ALB_HOUR: Final = Price(0.0225, "Application Load Balancer-hour", ELB)
ALB_LCU_HOUR: Final = Price(0.008, "ALB LCU-hour", ELB)
NLB_HOUR: Final = Price(0.0225, "Network Load Balancer-hour", ELB)
NLB_NLCU_HOUR: Final = Price(0.006, "NLB NLCU-hour", ELB)
FARGATE_VCPU_HOUR: Final = {
    "X86_64": Price(0.04048, "Fargate vCPU-hour (x86)", FARGATE),
    "ARM64": Price(0.03238, "Fargate vCPU-hour (Arm)", FARGATE),
}
FARGATE_GB_HOUR: Final = {
    "X86_64": Price(0.004445, "Fargate GB-hour (x86)", FARGATE),
    "ARM64": Price(0.00356, "Fargate GB-hour (Arm)", FARGATE),
}
KMS_KEY_MONTH: Final = Price(1.00, "customer managed key-month", KMS)
WEB_ACL_MONTH: Final = Price(5.00, "web ACL-month", WAF)
WAF_RULE_MONTH: Final = Price(1.00, "rule-month (a managed rule group counts as one)", WAF)
WAF_MILLION: Final = Price(0.60, "million requests inspected", WAF)
ALARM_METRIC_MONTH: Final = Price(0.10, "alarm metric-month (standard resolution)", CLOUDWATCH)
DASHBOARD_MONTH: Final = Price(3.00, "dashboard-month beyond 3 free per account", CLOUDWATCH)
LOGS_GB: Final = Price(0.50, "GB of logs ingested", CLOUDWATCH)
REST_API_MILLION: Final = Price(3.50, "million REST API requests", API_GATEWAY)
HTTP_API_MILLION: Final = Price(1.00, "million HTTP API requests", API_GATEWAY)
CLOUDFRONT_MILLION: Final = Price(1.00, "million HTTPS requests (North America)", CLOUDFRONT)
CLOUDFRONT_FUNCTION_MILLION: Final = Price(
    0.10, "million CloudFront Function invocations", CLOUDFRONT
)
CLOUDFRONT_GB: Final = Price(0.085, "GB to the internet (North America)", CLOUDFRONT)
LAMBDA_REQUESTS_MILLION: Final = Price(
    0.20, "million Lambda requests", "https://aws.amazon.com/lambda/pricing/"
)
LAMBDA_GB_SECOND: Final = {
    "x86_64": Price(
        0.0000166667, "Lambda GB-second (x86)", "https://aws.amazon.com/lambda/pricing/"
    ),
    "arm64": Price(
        0.0000133334, "Lambda GB-second (Arm)", "https://aws.amazon.com/lambda/pricing/"
    ),
}
# The duration assumed to price a million requests; a real figure comes from the function's
# Duration metric (the local handler benchmark answers in a few ms, plus Lambda's overhead).
ASSUMED_DURATION_SECONDS: Final = 0.1
XRAY_MILLION: Final = Price(5.00, "million traces recorded (100,000 free)", XRAY)
