"""Bad input and network failures: exit 2 with one readable line, never a traceback."""

from __future__ import annotations

from tests.doctor.conftest import ORIGIN, Endpoint, run_module
from tests.support.servers import free_port


def assert_one_line_error(outcome, *fragments: str) -> None:
    assert outcome.code == 2
    assert outcome.out == ""
    assert outcome.err.count("\n") == 1, outcome.err
    assert outcome.err.startswith("cors-doctor: error: ")
    assert "Traceback" not in outcome.err
    for fragment in fragments:
        assert fragment in outcome.err


def test_url_without_scheme_exits_2(doctor) -> None:
    outcome = doctor("check", "api.example.com/items", "--origin", ORIGIN)
    assert_one_line_error(outcome, "must be an absolute http:// or https:// URL")


def test_origin_with_path_exits_2(doctor) -> None:
    outcome = doctor("check", "https://api.example.com", "--origin", f"{ORIGIN}/app")
    assert_one_line_error(outcome, "has a path, query or trailing slash", f"'{ORIGIN}'")


def test_origin_with_trailing_slash_exits_2(doctor) -> None:
    outcome = doctor("check", "https://api.example.com", "--origin", f"{ORIGIN}/")
    assert_one_line_error(outcome, "--origin: origin 'https://app.example.com/'")


def test_missing_origin_is_a_one_line_usage_error(doctor) -> None:
    outcome = doctor("check", "https://api.example.com")
    assert_one_line_error(outcome, "--origin", "(see --help)")


def test_page_forbidden_header_is_rejected(doctor) -> None:
    outcome = doctor("check", "https://api.example.com", "--origin", ORIGIN, "-H", "Cookie: a=b")
    assert_one_line_error(outcome, "a page cannot set the Cookie header")


def test_refused_connection_exits_2(doctor) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/items"
    outcome = doctor("check", url, "--origin", ORIGIN)
    assert_one_line_error(outcome, "connection refused by 127.0.0.1:")


def test_self_signed_certificate_without_cacert_exits_2(doctor, faulty_tls: Endpoint) -> None:
    outcome = doctor("check", f"{faulty_tls.url}/ok", "--origin", ORIGIN)
    assert_one_line_error(outcome, "TLS error", "certificate verify failed", "--cacert")


def test_insecure_skips_certificate_verification(doctor, faulty_tls: Endpoint) -> None:
    outcome = doctor("check", f"{faulty_tls.url}/ok", "--origin", ORIGIN, "--insecure")
    assert outcome.code == 0, outcome.out + outcome.err


def test_plain_http_server_addressed_as_https_exits_2(doctor, faulty: Endpoint) -> None:
    url = faulty.url.replace("http://", "https://") + "/ok"
    outcome = doctor("check", url, "--origin", ORIGIN)
    assert_one_line_error(outcome, "TLS error", "does not speak TLS")


def test_help_shows_examples(doctor) -> None:
    outcome = doctor("check", "--help")
    assert outcome.code == 0
    assert "examples:" in outcome.out
    assert "python -m cors_doctor check https://api.example.com/prod" in outcome.out


def test_json_report_lists_checks_and_hops_per_path(doctor, faulty: Endpoint) -> None:
    outcome = doctor(
        "check", faulty.url, "--origin", ORIGIN, "--json", "--path", "ok", "--path", "missing-vary"
    )
    report = outcome.report
    assert report["ok"] is False
    assert [path["ok"] for path in report["paths"]] == [True, False]
    first = report["paths"][0]
    assert set(first["checks"][0]) == {"name", "ok", "explanation", "hint", "stage"}
    assert first["hops"][0]["cors_headers"]["access-control-allow-origin"] == [ORIGIN]


def test_module_run_names_the_cause_and_exits_1(faulty: Endpoint) -> None:
    outcome = run_module("check", f"{faulty.url}/no-allow-origin", "--origin", ORIGIN)
    assert outcome.code == 1
    assert "  FAIL allow-origin: response to request GET" in outcome.out
    assert "hint: add CORS middleware" in outcome.out
    assert outcome.out.splitlines()[-1].startswith("FAILED: ")


def test_module_run_against_nothing_exits_2_without_traceback() -> None:
    outcome = run_module("check", f"http://127.0.0.1:{free_port()}/", "--origin", ORIGIN)
    assert_one_line_error(outcome, "connection refused")
