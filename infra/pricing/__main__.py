"""`python -m infra.pricing [-c app:KEY=VALUE ...] [--readme]`: price a configuration."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from infra.config import ConfigError
from infra.config.topology import INGRESSES, Ingress
from infra.pricing import report
from infra.pricing.estimate import Estimate, UnpricedResource, estimate
from infra.pricing.synth import ROOT, templates_for
from infra.stacks import BUILT_TOPOLOGIES

README = ROOT / "README.md"


def _context(pairs: list[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(pair, "expected -c KEY=VALUE")
        context[key] = value
    return context


# Settings a topology cannot synthesize without; their values do not change the price.
REQUIRED_EXAMPLES: dict[Ingress, dict[str, str]] = {
    Ingress.PUBLIC_ALB: {
        "app:apiDomainName": "api.example.com",
        "app:apiCertificateArn": (
            "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"
        ),
    },
}


def topology_estimates() -> dict[str, Estimate]:
    """The idle month of every topology this version builds, with cdk.json's defaults."""
    found = {}
    for compute, ingresses in INGRESSES.items():
        for ingress in ingresses:
            if (compute, ingress) not in BUILT_TOPOLOGIES:
                continue
            overrides = {
                "app:compute": compute.value,
                "app:ingress": ingress.value,
                **REQUIRED_EXAMPLES.get(ingress, {}),
            }
            found[f"{compute.value} / {ingress.value}"] = estimate(templates_for(overrides))
    return found


# Options that add resources, priced on top of the default topology (and the Region they need).
OPTIONS: dict[str, tuple[dict[str, str], str | None]] = {
    "app:waf=true": ({"app:waf": "true"}, None),
    "app:cloudFrontWaf=true (us-east-1)": ({"app:cloudFrontWaf": "true"}, "us-east-1"),
    "app:kms=true": ({"app:kms": "true"}, None),
    "app:taskEgress=public-ip": ({"app:taskEgress": "public-ip"}, None),
}


def option_deltas() -> dict[str, float]:
    """What each option adds to the default topology's idle month."""
    base = estimate(templates_for({})).idle_total
    return {
        name: round(estimate(templates_for(overrides, region=region)).idle_total - base, 2)
        for name, (overrides, region) in OPTIONS.items()
    }


def readme_section() -> str:
    return report.markdown(topology_estimates(), option_deltas())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.pricing", description=__doc__)
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--readme", action="store_true", help="rewrite README.md's cost section for every topology"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    try:
        if args.readme:
            text = README.read_text(encoding="utf-8")
            README.write_text(report.replace_section(text, readme_section()), encoding="utf-8")
            print(f"updated the cost section in {Path(README).name}")
            return 0
        region = os.environ.get("CDK_DEFAULT_REGION") or os.environ.get("AWS_REGION")
        print(report.text(estimate(templates_for(_context(args.context), region=region))))
    except (ConfigError, UnpricedResource) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
