"""The real service, started as the container starts it, passes; `smoke` reads cdk outputs."""

from __future__ import annotations

from pathlib import Path

from tests.doctor.conftest import ORIGIN, Endpoint, run_module, stack_outputs, write_outputs


def test_correct_service_passes_simple_and_error_paths(doctor, product: Endpoint) -> None:
    outcome = doctor(
        "check", product.url, "--origin", ORIGIN, "--credentials", "--json",
        "--path", "api/items", "--path", "/api/items/999999", "--path", "api/boom",
        "--path", "healthz",
    )  # fmt: skip
    assert outcome.failures() == []
    assert [hop["status"] for hop in outcome.hops() if hop["kind"] == "request"] == [
        200, 404, 500, 200,
    ]  # fmt: skip
    assert outcome.code == 0


def test_correct_service_passes_credentialed_json_post(doctor, product: Endpoint) -> None:
    outcome = doctor(
        "check", f"{product.url}/api/items", "--origin", ORIGIN, "--credentials", "--json",
        "-X", "POST", "-H", "Content-Type: application/json", "--data", '{"name": "a"}',
    )  # fmt: skip
    assert outcome.failures() == []
    assert [hop["status"] for hop in outcome.hops()] == [200, 201, 400]


def test_correct_service_refuses_an_unlisted_origin(doctor, product: Endpoint) -> None:
    outcome = doctor("check", f"{product.url}/api/items", "--origin", "https://evil.test", "--json")
    assert outcome.code == 1
    [explanation] = outcome.failed("allow-origin")
    assert "has no Access-Control-Allow-Origin" in explanation


def test_human_output_has_one_line_per_check_and_a_summary(doctor, product: Endpoint) -> None:
    outcome = doctor("check", f"{product.url}/api/items", "--origin", ORIGIN)
    lines = outcome.out.splitlines()
    assert "  PASS allow-origin: https://app.example.com allowed on request GET" in "\n".join(lines)
    assert lines[-1] == "OK: 3/3 checks passed, 0 failed (1/1 paths clean)"


def test_slow_answer_is_a_one_line_timeout_error(doctor, product: Endpoint) -> None:
    outcome = doctor(
        "check", f"{product.url}/api/slow?ms=3000", "--origin", ORIGIN, "--timeout", "0.3"
    )
    assert outcome.code == 2
    assert outcome.err.startswith("cors-doctor: error: timed out after 0.3s")
    assert outcome.err.count("\n") == 1


def test_smoke_against_correct_service_exits_0(doctor, product: Endpoint, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(product.url))
    outcome = doctor("smoke", "--outputs", outputs, "--json")
    assert outcome.failures() == []
    assert outcome.report["origin"] == ORIGIN
    paths = [(p["method"], p["url"].removeprefix(product.url)) for p in outcome.report["paths"]]
    assert paths == [
        ("GET", "/api/items"),
        ("POST", "/api/items"),
        ("GET", "/api/greeting"),
        ("GET", "/api/items/999999"),
        ("GET", "/healthz"),
    ]
    assert outcome.code == 0


def test_smoke_posts_a_valid_json_body(doctor, product: Endpoint, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(product.url))
    outcome = doctor("smoke", "--outputs", outputs, "--json")
    post = next(p for p in outcome.report["paths"] if p["method"] == "POST")
    assert post["preflighted"] is True
    assert post["credentials"] is True
    assert [hop["status"] for hop in post["hops"] if hop["kind"] == "request"] == [201]


def test_smoke_as_a_subprocess_exits_0(product: Endpoint, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(product.url))
    outcome = run_module("smoke", "--outputs", outputs)
    assert outcome.code == 0, outcome.out + outcome.err
    assert outcome.out.splitlines()[-1].startswith("OK: ")


def test_smoke_with_custom_keys(doctor, product: Endpoint, tmp_path: Path) -> None:
    outputs = write_outputs(
        tmp_path,
        {"Stack": {"HttpEndpoint": product.url, "CdnDomainUrl": "https://app.example.com"}},
    )
    outcome = doctor(
        "smoke", "--outputs", outputs, "--api-key", "httpendpoint", "--site-key", "CdnDomain"
    )
    assert outcome.code == 0, outcome.out + outcome.err


def test_smoke_with_missing_api_key_exits_2(doctor, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path, {"Stack": {"SiteUrl": "https://app.example.com"}})
    outcome = doctor("smoke", "--outputs", outputs)
    assert outcome.code == 2
    assert "no output key contains 'ApiUrl'" in outcome.err
    assert outcome.out == ""


def test_smoke_with_ambiguous_key_exits_2(doctor, tmp_path: Path) -> None:
    outputs = write_outputs(
        tmp_path,
        {
            "A": {"ApiUrl": "https://a.example.com/", "SiteUrl": "https://app.example.com"},
            "B": {"ApiUrl": "https://b.example.com/"},
        },
    )
    outcome = doctor("smoke", "--outputs", outputs)
    assert outcome.code == 2
    assert "several outputs match 'ApiUrl' (A.ApiUrl, B.ApiUrl)" in outcome.err


def test_smoke_with_invalid_json_exits_2(doctor, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text("{not json")
    outcome = doctor("smoke", "--outputs", str(path))
    assert outcome.code == 2
    assert "is not valid JSON" in outcome.err


def test_smoke_with_missing_file_exits_2(doctor, tmp_path: Path) -> None:
    outcome = doctor("smoke", "--outputs", str(tmp_path / "absent.json"))
    assert outcome.code == 2
    assert "not found" in outcome.err


def test_smoke_flags_a_stack_that_does_not_allow_credentials(
    doctor, product_without_credentials: Endpoint, tmp_path: Path
) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(product_without_credentials.url))
    outcome = doctor("smoke", "--outputs", outputs, "--json")
    assert outcome.code == 1
    assert outcome.failed("allow-credentials")
    assert {name for name, _ in outcome.failures()} == {"allow-credentials"}


def test_smoke_no_credentials_passes_a_stack_without_credentials(
    doctor, product_without_credentials: Endpoint, tmp_path: Path
) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(product_without_credentials.url))
    outcome = doctor("smoke", "--outputs", outputs, "--no-credentials", "--json")
    assert outcome.failures() == []
    assert outcome.code == 0


def test_a_page_on_the_apis_own_origin_needs_no_cors_and_sends_no_preflight(
    doctor, product: Endpoint
) -> None:
    origin = product.url.rstrip("/")
    outcome = doctor(
        "check", f"{product.url}/api/items", "--origin", origin, "--json",
        "-X", "POST", "-H", "Content-Type: application/json", "--data", '{"name": "a"}',
    )  # fmt: skip
    assert outcome.failures() == []
    assert "same-origin" in {check["name"] for check in outcome.checks()}
    # No preflight: the request, then the probe from an unlisted origin.
    assert [hop["kind"] for hop in outcome.hops()] == ["request", "probe"]
