"""The Lambda function that runs the service with `app:compute=lambda`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from infra.config.fields import Group, setting


class Architecture(Enum):
    ARM64 = "arm64"
    X86_64 = "x86_64"


@dataclass(frozen=True, kw_only=True)
class FunctionSettings(Group):
    """Size and limits of the function (used only with compute=lambda)."""

    lambda_architecture: Architecture = setting(
        default=Architecture.ARM64,
        key="lambdaArchitecture",
        doc="The function's CPU: `arm64` (Graviton, about 20 % cheaper per GB-second) or "
        "`x86_64`. The bundle is installed from wheels for that platform.",
    )
    lambda_memory_mib: int = setting(
        default=512,
        key="lambdaMemoryMiB",
        doc="The function's memory; Lambda gives CPU in proportion, so cold starts shorten as "
        "it grows.",
        bounds=(128, 10240),
        unit=" MiB",
        why="Lambda's range",
    )
    lambda_timeout_seconds: int = setting(
        default=10,
        key="lambdaTimeoutSeconds",
        doc="How long one request may run before Lambda stops it.",
        bounds=(1, 29),
        unit=" s",
        why="the REST API answers 504 after 29 s whatever the function does",
    )
    lambda_reserved_concurrency: int | None = setting(
        default=None,
        key="lambdaReservedConcurrency",
        doc="Concurrent executions reserved for (and capped at) the function. Unset: it shares "
        "the account's pool.",
        bounds=(1, 1000),
        why="the account's default concurrency quota",
    )
