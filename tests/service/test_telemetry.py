"""FastAPI's own OpenTelemetry: decided once when the app is built, not asked on every request."""

from __future__ import annotations

import json
import subprocess
import sys

from service.app import fastapi_telemetry

# A process of its own: OpenTelemetry's global providers can be set once per process.
TRACED_REQUEST = """
import json
from fastapi.testclient import TestClient
from opentelemetry import trace
from service.app import build_app
from service.settings import Settings

started = []

class RecordingTracer(trace.NoOpTracer):
    def start_span(self, name, *args, **kwargs):
        started.append(name)
        return super().start_span(name, *args, **kwargs)

class RecordingProvider(trace.TracerProvider):
    def get_tracer(self, *args, **kwargs):
        return RecordingTracer()

if SET_UP_FIRST:
    trace.set_tracer_provider(RecordingProvider())
app = build_app(Settings.model_validate({"CORS_ALLOW_ORIGINS": "https://app.example.com"}))
if not SET_UP_FIRST:
    trace.set_tracer_provider(RecordingProvider())
TestClient(app).get("/api/items")
print(json.dumps(started))
"""


def spans_started(*, provider_set_up_before_the_app: bool) -> list[str]:
    program = f"SET_UP_FIRST = {provider_set_up_before_the_app}\n{TRACED_REQUEST}"
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    spans: list[str] = json.loads(done.stdout.splitlines()[-1])
    return spans


def test_without_an_opentelemetry_sdk_every_fastapi_signal_is_off() -> None:
    assert fastapi_telemetry() == {"tracing": False, "metrics": False, "logs": False}


def test_a_tracer_provider_set_up_before_the_app_gets_fastapis_request_spans() -> None:
    assert spans_started(provider_set_up_before_the_app=True) != []


def test_a_tracer_provider_set_up_after_the_app_is_not_asked_per_request() -> None:
    # The price of deciding once: what a bare FastAPI app would find on every request.
    assert spans_started(provider_set_up_before_the_app=False) == []
