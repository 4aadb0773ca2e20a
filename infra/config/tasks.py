"""The service's Fargate tasks: their size, how many run, how they scale and how they stop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from infra import limits
from infra.config.fields import Group, setting
from service import contract

# Valid Fargate CPU units -> allowed memory (MiB) for the x86/ARM on-demand task sizes.
FARGATE_MEMORY: Final[dict[int, tuple[int, ...]]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# Fargate kills the container this long after SIGTERM at most; the stop timeout is the graceful
# shutdown plus a margin, so the graceful shutdown must leave room for it.
STOP_TIMEOUT_MARGIN_SECONDS: Final = 5


def _fargate_cpu(cpu: int) -> None:
    if cpu not in FARGATE_MEMORY:
        raise ValueError(f"not a Fargate size; use one of {sorted(FARGATE_MEMORY)}")


@dataclass(frozen=True, kw_only=True)
class TaskSettings(Group):
    """Fargate tasks behind the internal ALB: size, count, autoscaling, draining, shutdown."""

    cpu: int = setting(
        default=256,
        key="cpu",
        doc="CPU units per task (256 is 0.25 vCPU).",
        allowed=f"a Fargate size: {', '.join(map(str, FARGATE_MEMORY))}",
        check=_fargate_cpu,
    )
    memory_mib: int = setting(
        default=512,
        key="memoryMiB",
        doc="Memory per task, in MiB.",
        allowed="a Fargate task size with `cpu` (512..2048 for 256 CPU units)",
    )
    desired_count: int = setting(
        default=2,
        key="desiredCount",
        doc="Tasks started at the first deploy.",
        bounds=(1, None),
        allowed="`minCapacity`..`maxCapacity`",
    )
    min_capacity: int = setting(
        default=2,
        key="minCapacity",
        doc="Autoscaling floor (two: one task per AZ).",
        bounds=(1, None),
        allowed="1..`maxCapacity`",
    )
    max_capacity: int = setting(
        default=4,
        key="maxCapacity",
        doc="Autoscaling ceiling; a deployment's old and new tasks side by side must fit the "
        "private subnets (at most 59 tasks with a /24 VPC).",
        bounds=(None, limits.MAX_TASKS),
        unit=" tasks",
        why="more needs a Fargate quota increase and a design review",
        allowed=f"`minCapacity`..{limits.MAX_TASKS} (a product ceiling; the account's Fargate "
        "vCPU quota usually binds first), and what fits `vpcCidr`",
    )
    cpu_target_percent: int = setting(
        default=60,
        key="cpuTargetPercent",
        doc="Average CPU utilisation the scaling policy keeps the tasks at.",
        bounds=(10, 90),
    )
    requests_per_target: int = setting(
        default=1000,
        key="requestsPerTarget",
        doc="ALB requests per task per minute the scaling policy keeps the tasks at; a higher "
        "target than the gateway lets through is never reached, and the policy would never "
        "scale out.",
        allowed="1..`throttleRateLimit` x 60 / `minCapacity`",
    )
    graceful_shutdown_seconds: int = setting(
        default=contract.DEFAULT_GRACEFUL_SHUTDOWN_SECONDS,
        key="gracefulShutdownSeconds",
        doc="Seconds uvicorn gives in-flight requests after SIGTERM; the container's stop "
        f"timeout is this plus {STOP_TIMEOUT_MARGIN_SECONDS} s.",
        bounds=(1, limits.MAX_STOP_TIMEOUT_SECONDS - STOP_TIMEOUT_MARGIN_SECONDS),
        why=f"Fargate's stop timeout is at most {limits.MAX_STOP_TIMEOUT_SECONDS} s",
    )
    deregistration_delay_seconds: int = setting(
        default=30,
        key="deregistrationDelaySeconds",
        doc="Seconds the ALB drains a stopping task before ECS sends it SIGTERM.",
        bounds=(0, limits.MAX_DEREGISTRATION_DELAY_SECONDS),
        why="ELB's range",
    )

    @property
    def stop_timeout_seconds(self) -> int:
        return self.graceful_shutdown_seconds + STOP_TIMEOUT_MARGIN_SECONDS

    def relations(self) -> None:
        memory = FARGATE_MEMORY[self.cpu]
        if self.memory_mib not in memory:
            raise self.invalid(
                "memory_mib", f"not valid with cpu={self.cpu}; use {memory[0]}..{memory[-1]}"
            )
        if self.max_capacity < self.min_capacity:
            raise self.invalid("max_capacity", f"must be >= minCapacity ({self.min_capacity})")
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise self.invalid(
                "desired_count",
                f"must be between minCapacity ({self.min_capacity}) and maxCapacity "
                f"({self.max_capacity})",
            )
