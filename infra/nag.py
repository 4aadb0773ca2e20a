"""Acknowledging cdk-nag findings, one resource at a time and always with a reason.

cdk-nag 3 runs as a CDK policy-validation plugin and reads acknowledgements from
`Validations.of(scope)`. This wrapper refuses a whole stack as the scope, so that a finding on a
resource added later can never be silenced by accident.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str, *, findings: Iterable[str] = ()) -> None:
    """Acknowledge `rule` on `scope` (one resource), or only the listed findings of it."""
    if isinstance(scope, Stack):
        raise ValueError(f"acknowledge {rule} on a resource, not on the stack {scope.node.path}")
    if len(reason) < 20:
        raise ValueError(f"{rule}: give a real reason, not {reason!r}")
    ids = [f"{rule}[{finding}]" for finding in findings] or [rule]
    for rule_id in ids:
        Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def flatten_reference(node: Any) -> str:
    """Render a CloudFormation value the way cdk-nag names findings (`flattenCfnReference`).

    Needed to acknowledge one granular finding whose resource is a cross-stack reference.
    """
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(flatten_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"), ensure_ascii=False)
