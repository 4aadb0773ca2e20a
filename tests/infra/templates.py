"""Patterns for `aws_cdk.assertions.Template` that several infra test modules share.

Assertions go through Template (`has_resource_properties`, `all_resources_properties`,
`resource_properties_count_is`, `get_resource_id`, `has_output`) with `Match` and `Capture`; these
helpers only build the patterns and the bare stacks constructs are tested on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Capture, Match, Template
from constructs import IConstruct

from infra.config import PREFIX

ROOT = Path(__file__).resolve().parents[2]
# A range no default uses, so a test sees the value it passed and not a default.
VPC_CIDR = "10.20.0.0/16"


def cdk_json_context() -> dict[str, Any]:
    """The context `cdk synth` passes the app: cdk.json's feature flags (and `app:` keys)."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


def bare_app(outdir: Path | None = None) -> cdk.App:
    """An app with cdk.json's feature flags, which change what constructs render, and none of
    our `app:` settings (a test passes what it needs).

    Without CDK's built-in CloudFormation validation: a test here asserts a contract; the
    session synth of the whole app validates every template (and cfn-lint reads them).
    """
    flags = {k: v for k, v in cdk_json_context().items() if not k.startswith(PREFIX)}
    return cdk.App(
        outdir=str(outdir) if outdir is not None else None,
        context=flags,
        builtin_cloud_formation_validation=False,
    )


def bare_stack(outdir: Path | None = None, stack_id: str = "Test") -> cdk.Stack:
    """An environment-agnostic stack alone in a bare app, the way the app's stacks are built:
    a construct sees only the props its test passes."""
    return cdk.Stack(bare_app(outdir), stack_id)


def stand_in_vpc(scope: cdk.Stack, cidr: str = VPC_CIDR) -> ec2.Vpc:
    """A plain two-AZ VPC with public and private (egress) subnets, standing in for Network."""
    return ec2.Vpc(scope, "Vpc", ip_addresses=ec2.IpAddresses.cidr(cidr), max_azs=2)


def logical_id(construct: IConstruct | None) -> str:
    """The logical id of a construct's CloudFormation resource in its stack's template."""
    assert construct is not None, "no construct"
    element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    return cdk.Stack.of(construct).get_logical_id(cast(cdk.CfnElement, element))


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def stack_output(stack_name: str, output: Any = None) -> dict[str, Any]:
    """A weak cross-stack reference (`Fn::GetStackOutput`) to an output of `stack_name`."""
    return {
        "Fn::GetStackOutput": {
            "StackName": stack_name,
            "Region": {"Ref": "AWS::Region"},
            "OutputName": Match.any_value() if output is None else output,
        }
    }


def assert_output(producer: Template, name: Capture | str, value: Any) -> None:
    """`producer` declares output `name` (a Capture filled by a matched reference) as `value`."""
    output = name.as_string() if isinstance(name, Capture) else name
    producer.has_output(output, {"Value": value})


def container_with(**fields: Any) -> Any:
    """A task definition's ContainerDefinitions holding a container with these fields."""
    return Match.array_with([Match.object_like(fields)])


def container_env(name: str, value: Any) -> dict[str, Any]:
    """Properties of a task definition whose container sets variable `name` to `value`."""
    entry = Match.array_with([{"Name": name, "Value": value}])
    return {"ContainerDefinitions": container_with(Environment=entry)}


def every_task_definition_sets(template: Template, variables: dict[str, Any]) -> None:
    """Every task definition (not just one of them) sets each variable to exactly this value."""
    # One pattern per variable: Match.array_with is order-sensitive across several elements.
    for name, value in variables.items():
        template.all_resources_properties("AWS::ECS::TaskDefinition", container_env(name, value))


def templates_in(outdir: Path) -> dict[str, Template]:
    """Every template of a cloud assembly by file name, not only the stacks the code lists."""
    return {
        path.name: Template.from_string(path.read_text(encoding="utf-8"))
        for path in sorted(outdir.glob("*.template.json"))
    }


def has_type(template: Template, type_: str) -> bool:
    return bool(template.find_resources(type_))


def staged_files(outdir: Path, stack: cdk.Stack) -> dict[str, set[str]]:
    """Object key in the CDK asset bucket -> the files that asset ships (relative paths).

    Read from the stack's asset manifest, i.e. what `cdk deploy` would actually upload.
    """
    staged: dict[str, set[str]] = {}
    for path, keys in _file_assets(outdir, stack):
        if path.is_dir():
            files = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                files = {n for n in archive.namelist() if not n.endswith("/")}
        else:
            files = {path.name}
        for key in keys:
            staged[key] = files
    return staged


def staged_text(outdir: Path, stack: cdk.Stack, object_key: str, name: str) -> str:
    """One file of a staged directory asset (by its object key in the asset bucket), as text."""
    for path, keys in _file_assets(outdir, stack):
        if object_key in keys and path.is_dir():
            return (path / name).read_text(encoding="utf-8")
    raise AssertionError(f"no staged directory asset with key {object_key}")


def _file_assets(outdir: Path, stack: cdk.Stack) -> list[tuple[Path, set[str]]]:
    manifest = json.loads((outdir / f"{stack.artifact_id}.assets.json").read_text())
    return [
        (outdir / asset["source"]["path"], {d["objectKey"] for d in asset["destinations"].values()})
        for asset in manifest["files"].values()
    ]


def cfn_lint_output(templates: Iterable[Path | str]) -> str | None:
    """Run cfn-lint (the project's config) over the templates; None if clean, else its report."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--config-file",
            str(ROOT / ".cfnlintrc.yaml"),
            "--",
            *sorted(str(path) for path in templates),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return None if result.returncode == 0 else result.stdout + result.stderr
