"""The real image, built once per run, and containers of it that are removed even on failure.

Each container runs as ECS runs the task (devstack/container.py) with the task definition's
environment from service.contract, moved to 127.0.0.1 and a free port. The trusted proxy
network is 127.0.0.2/32, as in the local stack: the tests send from 127.0.0.1 (outside it) and
from 127.0.0.2 (inside it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from devstack import TRUSTED_PROXY_ADDRESS, TRUSTED_PROXY_CIDR, container
from devstack.container import Container
from devstack.image import built_service_image
from devstack.podman import ContainerError
from devstack.prereqs import PrerequisiteError
from devstack.processes import ServerError
from service import contract

APP_ORIGIN = "https://app.example.com"
SETTINGS = contract.container_environment(
    allow_origins=[APP_ORIGIN],
    allow_credentials=True,
    forwarded_allow_ips=TRUSTED_PROXY_CIDR,
    diagnostics=True,
    demo_routes=True,  # /api/slow, for requests in flight during SIGTERM
)


@pytest.fixture(scope="session")
def image() -> str:
    """Fails every container test with one line when the image cannot be built; never skips."""
    try:
        return built_service_image()
    except (ContainerError, PrerequisiteError) as exc:
        problem = str(exc)  # failed outside the handler: no chained traceback, one line
    pytest.fail(problem, pytrace=False)


def _start(image: str, settings: Mapping[str, str], log: Path) -> Container:
    try:
        return container.start(image, settings, log=log, purpose="test")
    except ServerError as exc:
        problem = str(exc)
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="module")
def service(image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """One container per module with the contract's settings, removed at the module's end."""
    with _start(image, SETTINGS, tmp_path_factory.mktemp("container") / "output.log") as running:
        yield running


@pytest.fixture
def start_container(
    image: str, tmp_path: Path
) -> Iterator[Callable[[Mapping[str, str]], Container]]:
    """Start containers for one test (own settings, stopped by the test); removed afterwards."""
    started: list[Container] = []

    def _run(settings: Mapping[str, str]) -> Container:
        started.append(_start(image, settings, tmp_path / f"container-{len(started)}.log"))
        return started[-1]

    yield _run
    for running in started:
        running.terminate()


@pytest.fixture(scope="module")
def client(service: Container) -> Iterator[httpx.Client]:
    """From 127.0.0.1: outside the trusted proxy network."""
    with httpx.Client(base_url=service.url, trust_env=False) as untrusted:
        yield untrusted


@pytest.fixture(scope="module")
def proxy_client(service: Container) -> Iterator[httpx.Client]:
    """From 127.0.0.2: the trusted proxy network, where the ALB would connect from."""
    transport = httpx.HTTPTransport(local_address=TRUSTED_PROXY_ADDRESS)
    with httpx.Client(base_url=service.url, transport=transport, trust_env=False) as trusted:
        yield trusted
