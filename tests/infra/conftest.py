"""The whole app, synthesized once per session as app.py does (cdk-nag included).

Whole-app tests (wiring between stacks, policy, cfn-lint, deploy order) read this one assembly;
each construct's own contract is tested on a bare stack in tests/infra/components/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import cx_api
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.config import AppConfig
from infra.stacks import NetworkStack, Stacks, build
from tests.infra.templates import ROOT, cdk_json_context, staged_files, staged_text

__all__ = ["ROOT", "Synth", "cdk_json_context", "run_app", "synthesize"]


@dataclass
class Synth:
    app: cdk.App
    config: AppConfig
    stacks: Stacks
    outdir: Path
    synth_error: str | None

    def template(self, stack: cdk.Stack) -> Template:
        return Template.from_json(self.raw(stack))

    def raw(self, stack: cdk.Stack) -> dict[str, Any]:
        path = self.outdir / f"{stack.artifact_id}.template.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    @property
    def network_stack(self) -> NetworkStack:
        """The Network stack, which every Fargate topology has (compute=lambda has none)."""
        network = self.stacks.network
        if network is None:
            raise AssertionError("this synth has no Network stack (compute=lambda)")
        return network

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))

    def assembly(self) -> cx_api.CloudAssembly:
        """The cloud assembly as the CDK CLI reads it (stacks, dependencies, missing context)."""
        return cx_api.CloudAssembly(str(self.outdir))

    def dependencies(self, stack: cdk.Stack) -> set[str]:
        """Artifact ids of the stacks `stack` deploys after, from the assembly's manifest."""
        artifact = self.assembly().get_stack_artifact(stack.artifact_id)
        return {dependency.id for dependency in artifact.dependencies}

    def missing_context(self) -> list[Any]:
        """Context the app asked the CLI to look up in an AWS account (manifest "missing")."""
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        return list(manifest.get("missing", []))

    def staged_files(self, stack: cdk.Stack) -> dict[str, set[str]]:
        """Object key in the CDK asset bucket -> the files that asset ships (relative paths)."""
        return staged_files(self.outdir, stack)

    def staged_text(self, stack: cdk.Stack, object_key: str, name: str) -> str:
        """One file of a staged asset (by its object key in the CDK asset bucket), as text."""
        return staged_text(self.outdir, stack, object_key, name)


def new_app(outdir: Path, context: dict[str, Any]) -> cdk.App:
    """An App as app.py makes it, but with CDK's built-in CloudFormation validation always on:
    app.py runs it only with CDK_VALIDATION=true (it costs seconds per synth), the tests keep it
    as one more gate over every configuration they synthesize."""
    return cdk.App(outdir=str(outdir), context=context, builtin_cloud_formation_validation=True)


def synthesize(outdir: Path, context: dict[str, Any], region: str | None = None) -> Synth:
    """Synthesize the app as app.py does (cdk-nag included) with the given context, as if
    deploying to `region` (default: no Region known, as without CDK_DEFAULT_REGION)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    config = AppConfig.from_context(context, region=region)
    app = new_app(outdir, context)
    stacks = build(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    error: str | None = None
    try:
        app.synth()
    except RuntimeError as exc:
        # cdk-nag fails synthesis on findings after the templates are written; the nag test
        # reports them, the other tests still get templates.
        error = str(exc)
    return Synth(app=app, config=config, stacks=stacks, outdir=outdir, synth_error=error)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk.out"), cdk_json_context())


@pytest.fixture(scope="session")
def network(synth: Synth) -> Template:
    return synth.template(synth.network_stack)


@pytest.fixture(scope="session")
def edge(synth: Synth) -> Template:
    return synth.template(synth.stacks.edge)


@pytest.fixture(scope="session")
def backend(synth: Synth) -> Template:
    return synth.template(synth.stacks.backend)


@pytest.fixture(scope="session")
def site(synth: Synth) -> Template:
    return synth.template(synth.stacks.site)


def run_app(context: dict[str, object], outdir: Path) -> subprocess.CompletedProcess[str]:
    """Run `python app.py` as the CDK CLI does: context and output directory in the environment."""
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# Raw-dict helpers, kept for tests on branches in flight that predate the Template assertions;
# the tests here assert through Template with Match and Capture (tests/infra/templates.py).
def resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {name: dict(body) for name, body in template.find_resources(type_).items()}


def only(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
