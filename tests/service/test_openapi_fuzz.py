"""A bounded, seeded schemathesis run: generated requests, valid and invalid, per operation.

Next to the hand-written conformance walk, this finds what nobody thought to send. Each response
must have a listed status, match its listed model and content type, never be a 5xx; a 405 must
allow exactly the documented methods. It runs in-process and stays within a few seconds.
"""

from __future__ import annotations

import os
from typing import Any
from unittest import mock

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from service.app import build_app
from service.contract import Env
from service.settings import Settings
from tests.service.conftest import SETTINGS

# Examples per operation; derandomized, so every run sends the same requests.
MAX_EXAMPLES = 30


def _app() -> FastAPI:
    # Built while the module is collected, before the conftest's per-test clean environment:
    # a developer's shell must not change what this app serves.
    names = [name for name in vars(Env).values() if isinstance(name, str) and name.isupper()]
    with mock.patch.dict(os.environ):
        for name in names:
            os.environ.pop(name, None)
        return build_app(Settings.model_validate(SETTINGS))


# /api/slow sleeps for whatever valid delay is generated, up to 10 s; the conformance walk
# covers its parameter.
schema = schemathesis.openapi.from_asgi("/openapi.json", _app()).exclude(path="/api/slow")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_only_documented_answers(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate()
