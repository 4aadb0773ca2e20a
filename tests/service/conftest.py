from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import build_app
from service.contract import Env
from service.settings import Settings
from tests.support.servers import running_server

APP_ORIGIN = "https://app.example.com"
DEV_ORIGIN = "http://localhost:5173"
SETTINGS = {
    Env.ALLOW_ORIGINS: f"{APP_ORIGIN},{DEV_ORIGIN}",
    Env.ALLOW_CREDENTIALS: "true",
    Env.MAX_AGE: "600",
    # Tests look inside: what a deployment keeps closed by default is opened here, explicitly.
    Env.DIAGNOSTICS_ENABLED: "true",
    Env.DEMO_ROUTES_ENABLED: "true",
    Env.API_DOCS_ENABLED: "true",
}


# Both speak httpx's request API; tests run against either.
Client = httpx.Client | TestClient


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings read os.environ; a developer's shell must not change what a test sees.
    for name in vars(Env).values():
        if isinstance(name, str) and name.isupper():
            monkeypatch.delenv(name, raising=False)


def make_client(**settings: str) -> TestClient:
    return TestClient(build_app(Settings.model_validate(settings)), raise_server_exceptions=False)


def serve(
    tmp_path_factory: pytest.TempPathFactory, name: str, **overrides: str
) -> Iterator[httpx.Client]:
    """A real uvicorn (the container's command) with SETTINGS plus overrides, and a client."""
    log: Path = tmp_path_factory.mktemp(name) / "server.log"
    settings = {**SETTINGS, **overrides}
    with running_server(settings, log) as server, httpx.Client(base_url=server.url) as client:
        yield client


@pytest.fixture(scope="session")
def uvicorn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    yield from serve(tmp_path_factory, "uvicorn")


@pytest.fixture(params=["in-process", "uvicorn"])
def client(request: pytest.FixtureRequest) -> Client:
    """The same assertions against the app in-process and behind the container's command."""
    if request.param == "in-process":
        return make_client(**SETTINGS)
    server: httpx.Client = request.getfixturevalue("uvicorn_server")
    return server


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]
