"""What the built image holds: the contract's values in its configuration, the lock's
distributions, and nothing to build or escalate with.

Each value is read from the image podman built (`podman image inspect`), never from the
Dockerfile's text, and compared with service.contract, which the task definition also uses.
"""

from __future__ import annotations

import pytest

from devstack.container import Container
from devstack.image import image_config
from devstack.lock import BASE_DISTRIBUTIONS, LOCK, installed_distributions, pinned_versions
from service import contract
from service.contract import Env

NANOSECONDS = 1_000_000_000
# The ALB's default idle timeout: the server must keep idle connections open longer.
ALB_IDLE_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="module")
def image_env(image: str) -> dict[str, str]:
    entries = image_config(image, "Env")
    assert isinstance(entries, list)
    return dict(str(entry).split("=", 1) for entry in entries)


def test_image_command_is_the_contract_server_command(image: str) -> None:
    assert image_config(image, "Cmd") == list(contract.SERVER_COMMAND)


def test_image_has_no_entrypoint_in_front_of_its_command(image: str) -> None:
    # The task definition passes SERVER_COMMAND as the command; an entrypoint would wrap it.
    assert image_config(image, "Entrypoint") is None


def test_image_runs_as_the_task_definitions_non_root_user(image: str) -> None:
    # aws_cdk: only this test needs it
    from infra.components.container_service import CONTAINER_USER

    user = image_config(image, "User")
    assert isinstance(user, str)
    uid, _, gid = user.partition(":")
    assert uid == CONTAINER_USER
    assert "0" not in {uid, gid}


def test_image_listens_on_the_contract_port(image: str, image_env: dict[str, str]) -> None:
    assert image_env[Env.PORT] == str(contract.CONTAINER_PORT)
    assert image_config(image, "ExposedPorts") == {f"{contract.CONTAINER_PORT}/tcp": {}}


def test_image_shutdown_timeout_is_the_contract_default(image_env: dict[str, str]) -> None:
    timeout = image_env[Env.GRACEFUL_SHUTDOWN_SECONDS]
    assert timeout == str(contract.DEFAULT_GRACEFUL_SHUTDOWN_SECONDS)


def test_image_keeps_connections_open_longer_than_an_alb(image_env: dict[str, str]) -> None:
    keep_alive = int(image_env[Env.KEEP_ALIVE_SECONDS])
    assert keep_alive == contract.KEEP_ALIVE_SECONDS
    assert keep_alive > ALB_IDLE_TIMEOUT_SECONDS


def test_image_never_trusts_every_proxy(image: str, image_env: dict[str, str]) -> None:
    # The trusted network is the deployment's (the task definition sets the VPC CIDR).
    assert Env.FORWARDED_ALLOW_IPS not in image_env
    command = image_config(image, "Cmd")
    assert isinstance(command, list)
    assert not any("forwarded-allow-ips" in part for part in command)


def test_image_writes_no_bytecode_and_uses_tmp_for_temporary_files(
    image_env: dict[str, str],
) -> None:
    # The root filesystem is read-only in ECS; only /tmp is writable.
    assert image_env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert image_env["TMPDIR"] == "/tmp"


def test_image_stops_on_sigterm_as_ecs_sends_it(image: str) -> None:
    assert image_config(image, "StopSignal") == "SIGTERM"


def test_image_health_check_is_the_contracts(image: str) -> None:
    # The task definition's health check uses the same contract values (ECS ignores the image's).
    health = image_config(image, "Healthcheck")
    assert health == {
        "Test": list(contract.HEALTH_CHECK_COMMAND),
        "Interval": contract.HEALTH_CHECK_INTERVAL_SECONDS * NANOSECONDS,
        "Timeout": contract.HEALTH_CHECK_TIMEOUT_SECONDS * NANOSECONDS,
        "StartPeriod": contract.HEALTH_CHECK_START_PERIOD_SECONDS * NANOSECONDS,
        "Retries": contract.HEALTH_CHECK_RETRIES,
    }


def test_image_installs_exactly_the_locked_distributions(service: Container) -> None:
    installed = installed_distributions(service)
    locked = pinned_versions(LOCK)
    assert {name: installed.get(name) for name in locked} == locked
    assert set(installed) - set(locked) <= BASE_DISTRIBUTIONS


def test_image_holds_no_compiler_and_no_pip_cache(service: Container) -> None:
    probe = service.exec(
        "python",
        "-c",
        "import os, shutil; "
        "print([c for c in ('gcc', 'cc', 'c++', 'clang', 'ld') if shutil.which(c)]); "
        "print([p for p in ('/root/.cache', '/root/.pip') if os.path.exists(p)])",
        user="0",  # the build's user, whose home pip would cache in
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split("\n")[:2] == ["[]", "[]"]


def test_image_has_no_setuid_or_setgid_file(service: Container) -> None:
    # Fargate cannot set no-new-privileges; without such files there is nothing to gain through.
    # As root, to see into every directory (still without capabilities).
    found = service.exec("find", "/", "-xdev", "-perm", "/6000", "-type", "f", user="0")
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == []
