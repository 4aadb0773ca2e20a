"""Synthesize the app for a configuration, as app.py does, and return its templates."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.config import AppConfig
from infra.stacks import build

ROOT = Path(__file__).resolve().parents[2]


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


def templates_for(
    overrides: Mapping[str, Any], *, region: str | None = None
) -> dict[str, dict[str, Any]]:
    """Stack name -> template of the app with cdk.json's context plus `overrides`.

    Raises ConfigError for a bad setting, as app.py would. No cdk-nag, no CDK validation: the
    templates are the same, and pricing needs only them.
    """
    context = {**cdk_json_context(), **overrides}
    config = AppConfig.from_context(context, region=region)
    with tempfile.TemporaryDirectory(prefix="pricing-") as outdir:
        app = cdk.App(outdir=outdir, context=context, builtin_cloud_formation_validation=False)
        stacks = build(app, config)
        app.synth()
        return {
            stack.stack_name: json.loads(
                (Path(outdir) / f"{stack.artifact_id}.template.json").read_text()
            )
            for stack in stacks.all()
        }
