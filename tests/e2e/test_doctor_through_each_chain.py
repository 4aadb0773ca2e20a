"""The CORS doctor's `smoke` against each local chain, given the outputs `cdk deploy` writes."""

from __future__ import annotations

import json
from pathlib import Path

from devstack import SAME_ORIGIN, Ingress, LocalStack
from tests.doctor.conftest import run_module


def test_smoke_passes_through_the_chain(stack: LocalStack, ingress: Ingress, tmp_path: Path):
    # The shape of `cdk deploy --outputs-file`: {stack: {output: value}}.
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "CorsSafeBackend": {"ApiUrl": stack.api_url(ingress)},
                "CorsSafeEdge": {"SiteUrl": stack.site_url(f"{ingress}-site")},
            }
        )
    )
    outcome = run_module("smoke", "--outputs", str(outputs), "--insecure", "--json")
    assert (outcome.code, outcome.failures()) == (0, []), outcome.err
    assert outcome.report["origin"] == stack.site_origin(f"{ingress}-site")
    # The product's own calls, each one through this chain's public URL.
    assert all(p["url"].startswith(stack.api_url(ingress)) for p in outcome.report["paths"])


def test_smoke_passes_the_same_origin_chain_saying_no_cors_is_needed(
    stack: LocalStack, tmp_path: Path
):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "CorsSafeEdge": {
                    "ApiUrl": stack.api_url(SAME_ORIGIN),
                    "SiteUrl": stack.site_url(f"{SAME_ORIGIN}-site"),
                }
            }
        )
    )
    outcome = run_module("smoke", "--outputs", str(outputs), "--insecure", "--json")
    assert (outcome.code, outcome.failures()) == (0, []), outcome.err
    names = {check["name"] for check in outcome.checks()}
    assert "same-origin" in names
    # Only /api/* reaches the service through CloudFront: no health check path.
    assert all("/api/" in p["url"] for p in outcome.report["paths"])
    # The probe from an unlisted origin is still refused.
    assert "probe-origin" in names
