"""Each way of getting CORS wrong, served by a real uvicorn, is named with the right check."""

from __future__ import annotations

import pytest

from tests.doctor.apps import OTHER_ORIGIN
from tests.doctor.conftest import ORIGIN, Endpoint


def check(doctor, endpoint: Endpoint, path: str, *extra: str):
    argv = ["check", endpoint.url + path, "--origin", ORIGIN, "--json", "--timeout", "5", *extra]
    if endpoint.cacert:
        argv += ["--cacert", endpoint.cacert]
    return doctor(*argv)


def test_correct_fault_server_path_passes(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/ok", "--credentials", "-X", "PUT", "-H", "X-Client-Name: t")
    assert outcome.failures() == []
    assert outcome.code == 0


def test_missing_allow_origin_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/no-allow-origin")
    assert outcome.code == 1
    [explanation] = outcome.failed("allow-origin")
    assert "has no Access-Control-Allow-Origin" in explanation


def test_wrong_allow_origin_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/wrong-allow-origin")
    assert outcome.code == 1
    [explanation] = outcome.failed("allow-origin")
    assert f"'{OTHER_ORIGIN}'" in explanation
    assert f"not the page's origin '{ORIGIN}'" in explanation


def test_duplicated_allow_origin_header_lines_are_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/duplicate-allow-origin")
    assert outcome.code == 1
    [explanation] = outcome.failed("allow-origin")
    assert "2 values (2 header lines" in explanation
    assert "two layers" in explanation


def test_comma_joined_allow_origin_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/comma-allow-origin")
    [explanation] = outcome.failed("allow-origin")
    assert "2 values (one comma-joined line" in explanation


def test_wildcard_with_credentials_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/wildcard-credentials", "--credentials")
    assert outcome.code == 1
    [explanation] = outcome.failed("allow-origin")
    assert "is '*'" in explanation
    assert "browsers refuse '*' for credentialed requests" in explanation


def test_wildcard_without_credentials_passes(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/wildcard-public")
    assert outcome.failures() == []
    assert outcome.code == 0


def test_method_missing_from_allow_methods_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/method-not-allowed", "--method", "PUT")
    assert outcome.code == 1
    assert outcome.failed("allow-methods") == [
        "the preflight does not allow PUT: Access-Control-Allow-Methods is GET, POST"
    ]


def test_header_missing_from_allow_headers_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/header-not-allowed", "-H", "X-Client-Name: doc")
    assert outcome.code == 1
    [explanation] = outcome.failed("allow-headers")
    assert "does not allow request header(s) x-client-name" in explanation


def test_wildcard_allow_headers_does_not_count_with_credentials(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/headers-wildcard", "-H", "X-Client-Name: d", "--credentials")
    [explanation] = outcome.failed("allow-headers")
    assert "'*' counts only without credentials" in explanation


def test_wildcard_allow_headers_covers_custom_header_without_credentials(
    doctor, faulty: Endpoint
) -> None:
    outcome = check(doctor, faulty, "/headers-wildcard", "-H", "X-Client-Name: d")
    assert outcome.failures() == []


def test_wildcard_allow_headers_never_covers_authorization(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/headers-wildcard", "-H", "Authorization: Bearer t")
    [explanation] = outcome.failed("allow-headers")
    assert "request header(s) authorization" in explanation


def test_missing_allow_credentials_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/credentials-not-allowed", "--credentials")
    assert outcome.code == 1
    [explanation] = outcome.failed("allow-credentials")
    assert "lacks Access-Control-Allow-Credentials: true (it is missing)" in explanation


def test_missing_allow_credentials_is_fine_without_credentials(doctor, faulty: Endpoint) -> None:
    assert check(doctor, faulty, "/credentials-not-allowed").code == 0


def test_missing_vary_origin_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/missing-vary")
    assert outcome.code == 1
    [explanation] = outcome.failed("vary-origin")
    assert f"allows the specific origin {ORIGIN} but has no Vary: Origin" in explanation


def test_preflight_answered_with_redirect_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/preflight-redirect", "--method", "DELETE")
    assert outcome.code == 1
    [explanation] = outcome.failed("preflight")
    assert "answered with a 307 redirect to /ok" in explanation
    assert "browsers fail any preflight that redirects" in explanation


def test_preflight_403_is_reported_with_the_gateway_body(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/preflight-forbidden", "--method", "DELETE")
    assert outcome.code == 1
    [explanation] = outcome.failed("preflight")
    assert "the preflight got 403" in explanation
    assert "Missing Authentication Token" in explanation


def test_simple_request_with_credentials_sends_no_preflight(doctor, faulty: Endpoint) -> None:
    outcome = check(
        doctor, faulty, "/ok", "--credentials", "-X", "POST", "-H", "Content-Type: text/plain"
    )
    assert [hop["kind"] for hop in outcome.hops()] == ["request", "probe"]


def test_json_content_type_forces_a_preflight(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/ok", "-X", "POST", "-H", "Content-Type: application/json")
    preflight = outcome.hops()[0]
    assert preflight["kind"] == "preflight"
    assert preflight["request_headers"]["Access-Control-Request-Method"] == "POST"
    assert preflight["request_headers"]["Access-Control-Request-Headers"] == "content-type"


def test_redirect_to_http_is_reported_as_downgrade(
    doctor, faulty: Endpoint, faulty_tls: Endpoint
) -> None:
    outcome = check(doctor, faulty_tls, f"/redirect?to={faulty.url}/ok")
    assert outcome.code == 1
    [explanation] = outcome.failed("redirect")
    assert "downgrades https to http" in explanation
    assert f"-> {faulty.url}/ok" in explanation


def test_redirect_to_another_host_is_reported(doctor, faulty: Endpoint) -> None:
    elsewhere = faulty.url.replace("127.0.0.1", "localhost")
    outcome = check(doctor, faulty, f"/redirect?to={elsewhere}/ok")
    assert outcome.code == 1
    [explanation] = outcome.failed("redirect")
    assert "leaves the public host 127.0.0.1 for localhost" in explanation


def test_origin_is_null_after_a_cross_origin_redirect(doctor, faulty: Endpoint) -> None:
    elsewhere = faulty.url.replace("127.0.0.1", "localhost")
    outcome = check(doctor, faulty, f"/redirect?to={elsewhere}/ok")
    requests = [hop for hop in outcome.hops() if hop["kind"] == "request"]
    assert [hop["request_headers"]["Origin"] for hop in requests] == [ORIGIN, "null"]
    assert any("Origin: null" in text for text in outcome.failed("allow-origin"))


def test_redirect_within_the_host_passes(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/redirect?to=/ok")
    assert outcome.failures() == []
    assert [hop["status"] for hop in outcome.hops()] == [307, 200, 307]


def test_404_without_cors_headers_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/not-found-bare")
    assert outcome.code == 1
    [explanation] = outcome.failed("error-cors")
    assert "the 404 error" in explanation
    assert "reports a CORS error instead" in explanation


def test_500_without_cors_headers_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/crash-bare")
    [explanation] = outcome.failed("error-cors")
    assert "the 500 error" in explanation


def test_compressed_error_page_is_quoted_as_text(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/crash-gzip")
    [explanation] = outcome.failed("error-cors")
    assert '(body: "502 Bad Gateway upstream gone")' in explanation


def test_redirect_without_cors_headers_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/redirect-bare")
    [explanation] = outcome.failed("error-cors")
    assert "the redirect from" in explanation
    assert "hides the 301" in explanation


def test_reflecting_any_origin_is_reported(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/reflect-any", "--credentials")
    assert outcome.code == 1
    [explanation] = outcome.failed("probe-origin")
    assert "https://cors-doctor.invalid was allowed" in explanation
    assert "reflects any Origin with credentials" in explanation


def test_probe_origin_option_replaces_the_default(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/reflect-any", "--probe-origin", "https://evil.test")
    [explanation] = outcome.failed("probe-origin")
    assert "https://evil.test was allowed" in explanation
    assert outcome.hops()[-1]["request_headers"]["Origin"] == "https://evil.test"


def test_redirect_loop_is_bounded(doctor, faulty: Endpoint) -> None:
    outcome = check(doctor, faulty, "/loop")
    assert outcome.code == 1
    assert any("more than 10 redirects" in text for text in outcome.failed("redirect"))
    assert len([hop for hop in outcome.hops() if hop["kind"] == "request"]) == 11


def test_slash_redirect_behind_untrusted_tls_proxy_is_a_downgrade(doctor, tls_proxy) -> None:
    outcome = check(doctor, tls_proxy.untrusted, "/api/items", "--credentials")
    assert outcome.code == 1
    [explanation] = outcome.failed("redirect")
    assert "307 redirect downgrades https to http" in explanation
    assert f"-> {tls_proxy.untrusted.url.replace('https', 'http')}/api/items/" in explanation


def test_trusting_the_tls_proxy_keeps_the_redirect_on_https(doctor, tls_proxy) -> None:
    outcome = check(doctor, tls_proxy.trusted, "/api/items", "--credentials")
    assert outcome.failures() == []
    assert [hop["status"] for hop in outcome.hops() if hop["kind"] == "request"] == [307, 200]


def test_failed_preflight_is_flagged_as_where_the_browser_stops(doctor, faulty: Endpoint) -> None:
    outcome = doctor("check", f"{faulty.url}/preflight-forbidden", "--origin", ORIGIN, "-X", "PUT")
    assert "  note: a browser stops at the failed preflight" in outcome.out


@pytest.mark.parametrize("kind", ["bracket", "port"])
def test_unparsable_location_is_a_finding_not_a_crash(doctor, faulty: Endpoint, kind: str) -> None:
    outcome = check(doctor, faulty, f"/bad-location?kind={kind}")
    assert outcome.code == 1, outcome.err
    [explanation] = outcome.failed("redirect")
    assert "has no Location header, or one that is no URL" in explanation
