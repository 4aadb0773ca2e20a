"""The task's container is locked down as far as Fargate allows (the tests run the image so)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from service import contract
from tests.infra.conftest import only


@pytest.fixture(scope="module")
def container(backend: Template) -> dict[str, Any]:
    _, task = only(backend, "AWS::ECS::TaskDefinition")
    assert task["Properties"]["RequiresCompatibilities"] == ["FARGATE"]
    (definition,) = task["Properties"]["ContainerDefinitions"]
    return dict(definition)


def test_container_runs_an_init_process(container: dict[str, Any]) -> None:
    assert container["LinuxParameters"]["InitProcessEnabled"] is True


def test_container_drops_every_linux_capability(container: dict[str, Any]) -> None:
    capabilities = container["LinuxParameters"]["Capabilities"]
    assert capabilities["Drop"] == ["ALL"]
    assert capabilities.get("Add", []) == []


def test_container_hardening_is_the_one_the_image_is_tested_with(
    container: dict[str, Any],
) -> None:
    # devstack/container.py runs the image with these same values under podman.
    parameters = container["LinuxParameters"]
    assert parameters["InitProcessEnabled"] is contract.INIT_PROCESS
    assert tuple(parameters["Capabilities"]["Drop"]) == contract.DROPPED_CAPABILITIES


def test_container_asks_fargate_for_nothing_it_rejects(container: dict[str, Any]) -> None:
    # Fargate refuses privileged containers and dockerSecurityOptions (so no-new-privileges
    # cannot be requested; the image has no setuid files instead).
    assert "Privileged" not in container
    assert "DockerSecurityOptions" not in container
