"""The Fargate tasks' settings (infra/config/tasks.py)."""

from __future__ import annotations

from infra.config import TaskSettings
from infra.config.tasks import STOP_TIMEOUT_MARGIN_SECONDS


def test_the_stop_timeout_is_the_graceful_shutdown_plus_a_margin():
    assert STOP_TIMEOUT_MARGIN_SECONDS > 0
    assert (
        TaskSettings(graceful_shutdown_seconds=30).stop_timeout_seconds
        == 30 + STOP_TIMEOUT_MARGIN_SECONDS
    )
