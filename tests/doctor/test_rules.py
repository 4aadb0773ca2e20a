"""Fetch-spec rules that need no server: which requests are preflighted, mixed content."""

from __future__ import annotations

import pytest

from cors_doctor.route_judges import judge_mixed_content
from cors_doctor.spec import needs_preflight, unsafe_header_names


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {}),
        ("HEAD", {"Accept": "application/json"}),
        ("POST", {"Content-Type": "text/plain;charset=utf-8"}),
        ("POST", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("GET", {"Accept-Language": "en-GB,en;q=0.9", "Range": "bytes=0-99"}),
    ],
)
def test_simple_requests_need_no_preflight(method: str, headers: dict[str, str]) -> None:
    assert not needs_preflight(method, headers)


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("PUT", {}),
        ("DELETE", {}),
        ("POST", {"Content-Type": "application/json"}),
        ("GET", {"X-Client-Name": "me"}),
        ("GET", {"Authorization": "Bearer t"}),
        ("GET", {"Accept": "text/html(bad)"}),
    ],
)
def test_non_simple_requests_need_a_preflight(method: str, headers: dict[str, str]) -> None:
    assert needs_preflight(method, headers)


def test_request_headers_are_listed_sorted_and_lower_case() -> None:
    headers = {"X-Zeta": "1", "Content-Type": "application/json", "Accept": "*/*"}
    assert unsafe_header_names(headers) == ["content-type", "x-zeta"]


def test_https_page_calling_http_api_is_mixed_content() -> None:
    check = judge_mixed_content("https://app.example.com", "http://api.example.com/api/items")
    assert check is not None
    assert check.name == "mixed-content"
    assert "blocks it as mixed content" in check.explanation


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://localhost:8000/x"])
def test_loopback_http_is_not_mixed_content(url: str) -> None:
    assert judge_mixed_content("https://app.example.com", url) is None
