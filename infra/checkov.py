"""Skipping checkov checks, one resource at a time and always with a reason.

checkov reads skips from a template resource's Metadata
(`{"checkov": {"skip": [{"id": ..., "comment": ...}]}}`), so a skip travels with the resource it
explains. Like `infra.nag.acknowledge`, this refuses a
stack (nothing is skipped globally) and a reason too short to be one.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnResource, Stack
from constructs import IConstruct

CHECK_ID = re.compile(r"CKV2?_AWS_\d+")
MIN_REASON = 20

# The one reason for every log group left on CloudWatch's own key (see SecuritySettings.kms).
LOGS_WITHOUT_CUSTOMER_KEY = (
    "customer managed KMS key is the app:kms option; default off to avoid $1/month per key; "
    "logs are encrypted with CloudWatch's service key"
)


def skip(scope: IConstruct, check_id: str, reason: str) -> None:
    """Skip `check_id` on `scope`: a CfnResource, or an L2 construct whose default child is one."""
    if isinstance(scope, Stack):
        raise ValueError(f"skip {check_id} on a resource, not on the stack {scope.node.path}")
    if not CHECK_ID.fullmatch(check_id):
        raise ValueError(f"{check_id!r} is not a checkov check id (CKV_AWS_<n>)")
    if len(reason) < MIN_REASON:
        raise ValueError(f"{check_id}: give a real reason, not {reason!r}")
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise ValueError(f"skip {check_id}: {scope.node.path} is not a CloudFormation resource")
    existing: dict[str, Any] = dict(resource.get_metadata("checkov") or {})
    skips = [entry for entry in existing.get("skip", []) if entry["id"] != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", {**existing, "skip": skips})


def skip_deployment_function(function: IConstruct, what: str) -> None:
    """Skip the Lambda checks that do not fit a function CloudFormation calls only to deploy.

    `what` names the function in the reasons, e.g. "CDK's BucketDeployment handler".
    """
    for check_id, reason in (
        (
            "CKV_AWS_115",
            f"{what} runs only while CloudFormation deploys; reserved concurrency would take "
            "from the account's pool for nothing.",
        ),
        (
            "CKV_AWS_116",
            f"CloudFormation invokes {what} as a custom resource; a failure fails the "
            "deployment, there is nothing to dead-letter.",
        ),
        (
            "CKV_AWS_117",
            f"{what} calls only AWS APIs (no resource inside the VPC); a VPC would add NAT "
            "traffic and nothing else.",
        ),
    ):
        skip(function, check_id, reason)
