"""CORS doctor: run a browser's CORS checks against a URL and name the cause in plain words."""

from __future__ import annotations

from cors_doctor.cli import main

__all__ = ["main"]
