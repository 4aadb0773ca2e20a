"""What the built image holds: the contract's command, the lock and nothing to build or escalate."""

from __future__ import annotations

from devstack.container import Container
from devstack.image import image_config
from devstack.lock import BASE_DISTRIBUTIONS, LOCK, installed_distributions, pinned_versions
from service import contract


def test_image_command_is_the_contract_server_command(image: str) -> None:
    assert image_config(image, "Cmd") == list(contract.SERVER_COMMAND)


def test_image_health_check_is_the_task_definitions(image: str) -> None:
    # ECS ignores the image's HEALTHCHECK, so the task definition repeats it; they must agree.
    # aws_cdk: only this test needs it
    from infra.components.container_service import HEALTH_CHECK_COMMAND

    health = image_config(image, "Healthcheck")
    assert isinstance(health, dict)
    assert health["Test"] == list(HEALTH_CHECK_COMMAND)


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
