"""Synthesize the whole app once per session; every infra test reads that one assembly."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.config import AppConfig
from infra.stacks import Stacks, build

ROOT = Path(__file__).resolve().parents[2]


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


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

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))

    def staged_files(self, stack: cdk.Stack) -> dict[str, set[str]]:
        """Object key in the CDK asset bucket -> the files that asset ships (relative paths).

        Read from the stack's asset manifest, i.e. what `cdk deploy` would actually upload.
        """
        manifest = json.loads((self.outdir / f"{stack.artifact_id}.assets.json").read_text())
        staged: dict[str, set[str]] = {}
        for asset in manifest["files"].values():
            path = self.outdir / asset["source"]["path"]
            if path.is_dir():
                files = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
            elif zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    files = {n for n in archive.namelist() if not n.endswith("/")}
            else:
                files = {path.name}
            for destination in asset["destinations"].values():
                staged[destination["objectKey"]] = files
        return staged

    def staged_text(self, stack: cdk.Stack, object_key: str, name: str) -> str:
        """One file of a staged asset (by its object key in the CDK asset bucket), as text."""
        manifest = json.loads((self.outdir / f"{stack.artifact_id}.assets.json").read_text())
        for asset in manifest["files"].values():
            keys = {d["objectKey"] for d in asset["destinations"].values()}
            path = self.outdir / asset["source"]["path"]
            if object_key in keys and path.is_dir():
                text: str = (path / name).read_text(encoding="utf-8")
                return text
        raise AssertionError(f"no staged directory asset with key {object_key}")


def synthesize(outdir: Path, context: dict[str, Any]) -> Synth:
    """Synthesize the app as app.py does (cdk-nag included) with the given context."""
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    config = AppConfig.from_context(context)
    app = cdk.App(outdir=str(outdir), context=context)
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
    return synth.template(synth.stacks.network)


@pytest.fixture(scope="session")
def edge(synth: Synth) -> Template:
    return synth.template(synth.stacks.edge)


@pytest.fixture(scope="session")
def backend(synth: Synth) -> Template:
    return synth.template(synth.stacks.backend)


@pytest.fixture(scope="session")
def site(synth: Synth) -> Template:
    return synth.template(synth.stacks.site)


def resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {name: dict(body) for name, body in template.find_resources(type_).items()}


def only(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
