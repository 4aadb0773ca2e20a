#!/usr/bin/env python3
"""CDK entry point: the only place that reads CDK context (defaults live in cdk.json)."""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import AppConfig, ConfigError
from infra.lambda_bundle import BundleError
from infra.stacks import build


def deploy_region() -> str | None:
    """The Region the environment-agnostic stacks deploy to, if known at synth.

    The CDK CLI deploys them to its own Region and hands the app that Region as
    CDK_DEFAULT_REGION; AWS_REGION is the fallback when app.py runs on its own.
    """
    return os.environ.get("CDK_DEFAULT_REGION") or os.environ.get("AWS_REGION") or None


def builtin_validation() -> bool:
    """Whether CDK's built-in CloudFormation validation runs during synth: only on request.

    It starts a WebAssembly rules engine that costs seconds per synth (most of this app's synth
    time, README "Synthesis"), and what it checks is covered by stronger gates the tests run
    over every configuration they synthesize: cfn-lint (schemas and semantics), checkov and
    cdk-nag (security rules); the tests' synth keeps it on as well. `CDK_VALIDATION=true`
    turns it on here.
    """
    return os.environ.get("CDK_VALIDATION", "").lower() == "true"


def main() -> int:
    app = cdk.App(builtin_cloud_formation_validation=builtin_validation())
    try:
        config = AppConfig.from_context(app.node.get_all_context(), region=deploy_region())
        build(app, config)
    except (ConfigError, BundleError) as exc:
        # One line naming key and value; a traceback through jsii would bury it.
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # cdk-nag 3 is a policy-validation plugin: any unacknowledged finding, warnings included,
    # fails synth and is listed in cdk.out/validation-report.json.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
