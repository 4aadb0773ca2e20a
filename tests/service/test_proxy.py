"""Forwarded headers are honoured only from trusted proxies, and nothing ever redirects."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from service.contract import Env
from tests.service.conftest import APP_ORIGIN, SETTINGS, error_lines, serve
from tests.support.servers import run_to_exit

SPOOFED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


@pytest.fixture(scope="module")
def untrusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    # Trusts a VPC range the test client (127.0.0.1) is not in.
    yield from serve(tmp_path_factory, "untrusting", **{Env.FORWARDED_ALLOW_IPS: "10.0.0.0/16"})


@pytest.fixture(scope="module")
def trusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    # The test client plays the ALB: loopback is the trusted proxy network here.
    yield from serve(tmp_path_factory, "trusting", **{Env.FORWARDED_ALLOW_IPS: "127.0.0.0/8"})


def test_spoofed_forwarded_proto_from_untrusted_peer_leaves_scheme_http(
    untrusting: httpx.Client,
) -> None:
    view = untrusting.get("/debug/request", headers=SPOOFED).json()
    assert view["scheme"] == "http"


def test_spoofed_forwarded_for_from_untrusted_peer_leaves_client_address(
    untrusting: httpx.Client,
) -> None:
    view = untrusting.get("/debug/request", headers=SPOOFED).json()
    assert view["client"].startswith("127.0.0.1:")
    assert view["peer_trusted"] is False


def test_forwarded_proto_from_trusted_peer_makes_scheme_https(trusting: httpx.Client) -> None:
    view = trusting.get("/debug/request", headers=SPOOFED).json()
    assert view["scheme"] == "https"
    assert view["peer_trusted"] is True


def test_forwarded_for_from_trusted_peer_sets_client_address(trusting: httpx.Client) -> None:
    view = trusting.get("/debug/request", headers=SPOOFED).json()
    assert view["client"].split(":")[0] == "203.0.113.9"


def test_diagnostics_report_which_forwarded_headers_arrived(trusting: httpx.Client) -> None:
    view = trusting.get("/debug/request", headers=SPOOFED).json()
    assert view["forwarded_headers"] == {
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https",
    }
    assert view["forwarded_allow_ips"] == "127.0.0.0/8"


def test_diagnostics_without_forwarded_headers_cannot_judge_trust(trusting: httpx.Client) -> None:
    assert trusting.get("/debug/request").json()["peer_trusted"] is None


@pytest.mark.parametrize("path", ["/api/items/", "/healthz/", "/docs/", "/api/items/1/"])
def test_trailing_slash_path_is_not_redirected_behind_a_proxy(
    trusting: httpx.Client, path: str
) -> None:
    # What users behind an ALB or API Gateway saw: a slash redirect to the internal Host and scheme.
    headers = {**SPOOFED, "Host": "internal-nlb.example.internal", "Origin": APP_ORIGIN}
    response = trusting.get(path, headers=headers)
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_no_route_answers_with_a_redirect(trusting: httpx.Client) -> None:
    schema = trusting.get("/openapi.json").json()
    for path in [*schema["paths"], "/healthz", "/docs", "/redoc", "/debug/request"]:
        for variant in {path, path.rstrip("/") + "/"}:
            status = trusting.get(variant.replace("{item_id}", "1")).status_code
            assert not 300 <= status < 400, variant


def test_wildcard_trusted_proxies_refuse_to_start() -> None:
    result = run_to_exit({**SETTINGS, Env.FORWARDED_ALLOW_IPS: "*"})
    assert result.returncode != 0
    assert error_lines(result.stderr) == [
        f"error: invalid setting {Env.FORWARDED_ALLOW_IPS}='*': '*' trusts forwarded headers "
        "from anyone; give the proxies' CIDR"
    ]


def test_malformed_trusted_proxy_network_refuses_to_start() -> None:
    result = run_to_exit({**SETTINGS, Env.FORWARDED_ALLOW_IPS: "10.0.0.0/33"})
    assert result.returncode != 0
    assert "'10.0.0.0/33' is not an IP address or CIDR" in result.stderr
