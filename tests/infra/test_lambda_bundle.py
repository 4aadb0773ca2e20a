"""The Lambda bundle: built without Docker, cached, and proven by invoking it alone.

The proof loads the synthesized asset directory, nothing else, in a fresh interpreter (`-I -S`:
no site-packages, no PYTHONPATH) and calls its handler with real-shaped REST (v1) and HTTP API
(v2) events, as Lambda would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra import lambda_bundle
from service.contract import Env
from tests.infra.conftest import Synth, cdk_json_context, resources, synthesize
from tests.service.test_lambda import event

SITE = "https://d111111abcdef8.cloudfront.net"
LOOKALIKE = "https://d111111abcdef8.cloudfront.net.evil.example"
# Runs inside the fresh interpreter: the bundle first on sys.path, then each event.
PROBE = """
import asyncio, json, os, sys
sys.path.insert(0, sys.argv[1])
payload = json.load(sys.stdin)
os.environ.update(payload["environment"])
from service.lambda_handler import handler
answers = []
for request in payload["events"]:
    asyncio.set_event_loop(asyncio.new_event_loop())
    answers.append(handler(request, None))
print(json.dumps({"answers": answers, "path": sys.path, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def lambda_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = {**cdk_json_context(), "app:compute": "lambda", "app:lambdaArchitecture": "x86_64"}
    return synthesize(tmp_path_factory.mktemp("lambda-x86"), context)


@pytest.fixture(scope="module")
def asset(lambda_synth: Synth) -> Path:
    """The function's asset directory in cdk.out (the one holding the handler)."""
    manifest = json.loads(
        (lambda_synth.outdir / f"{lambda_synth.stacks.backend.artifact_id}.assets.json").read_text()
    )
    found: list[Path] = [
        lambda_synth.outdir / item["source"]["path"]
        for item in manifest["files"].values()
        if (
            lambda_synth.outdir / item["source"]["path"] / "service" / "lambda_handler.py"
        ).is_file()
    ]
    (directory,) = found
    return directory


@pytest.fixture(scope="module")
def environment(lambda_synth: Synth) -> dict[str, str]:
    backend = lambda_synth.template(lambda_synth.stacks.backend)
    (function,) = [
        body
        for body in resources(backend, "AWS::Lambda::Function").values()
        if body["Properties"].get("Handler") == "service.lambda_handler.handler"
    ]
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    # The origins are a deploy-time reference to the distribution: stand in its domain.
    variables[Env.ALLOW_ORIGINS] = SITE
    # The 500 case needs the demo route that fails on purpose.
    variables[Env.DEMO_ROUTES_ENABLED] = "true"
    return {k: str(v) for k, v in variables.items()}


def invoke_bundle(asset: Path, environment: dict[str, str], events: list[Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", PROBE, str(asset)],
        input=json.dumps({"environment": environment, "events": events}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _headers(answer: dict[str, Any]) -> dict[str, str]:
    merged = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        merged.setdefault(name.lower(), values[-1])
    return merged


CASES = [
    ("GET", "/api/items", {"Origin": SITE}, 200),
    ("POST", "/api/items", {"Origin": SITE, "Content-Type": "application/json"}, 201),
    ("GET", "/api/items/999", {"Origin": SITE}, 404),
    ("POST", "/api/items", {"Origin": SITE, "Content-Type": "application/json"}, 422),
    ("GET", "/api/boom", {"Origin": SITE}, 500),
    (
        "OPTIONS",
        "/api/items",
        {
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        200,
    ),
]
BODIES = {1: json.dumps({"name": "widget", "quantity": 2}), 3: json.dumps({"name": ""})}


def _events(kind: str) -> list[Any]:
    events = []
    for index, (method, path, headers, _) in enumerate(CASES):
        request = event(kind, method, path, headers)
        if index in BODIES:
            request["body"] = BODIES[index]
        events.append(request)
    events.append(event(kind, "GET", "/api/items", {"Origin": LOOKALIKE}))
    return events


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2"])
def test_the_bundle_alone_answers_every_case_with_cors_for_the_site(asset, environment, kind):
    result = invoke_bundle(asset, environment, _events(kind))
    *answers, lookalike = result["answers"]
    statuses = [answer["statusCode"] for answer in answers]
    assert statuses == [status for *_, status in CASES]
    for answer in answers:
        headers = _headers(answer)
        assert headers["access-control-allow-origin"] == SITE, answer
        assert headers["access-control-allow-credentials"] == "true"
        assert "location" not in headers
    assert "access-control-allow-origin" not in _headers(lookalike)
    # Nothing but the bundle and the standard library was importable.
    assert not [p for p in result["path"] if "site-packages" in p]
    assert "uvicorn" not in result["modules"]


def test_the_bundle_holds_the_service_and_its_wheels_and_nothing_for_the_server(asset):
    names = {path.name for path in asset.iterdir()}
    assert {"service", "fastapi", "starlette", "mangum", "pydantic_core"} <= names
    assert not names & {"uvicorn", "uvloop", "httptools", "watchfiles", "websockets", "tests"}
    assert not list(asset.rglob("__pycache__"))
    (core,) = list((asset / "pydantic_core").glob("_pydantic_core*.so"))
    assert "x86_64-linux-gnu" in core.name


def test_a_second_build_with_nothing_changed_runs_no_pip(monkeypatch):
    first = lambda_bundle.bundle("x86_64")

    def no_pip(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pip ran although nothing changed")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert lambda_bundle.bundle("x86_64") == first


def test_the_function_requirements_leave_out_the_servers_distributions():
    text = lambda_bundle.function_requirements(lambda_bundle.LOCK.read_text())
    names = {line.split("==")[0] for line in text.splitlines() if "==" in line}
    assert not names & {"uvicorn", "uvloop"}
    assert {"fastapi", "mangum", "pydantic-core"} <= names
    # Every kept requirement keeps its hashes (pip --require-hashes needs them).
    assert text.count("--hash=sha256:") >= len(names)
