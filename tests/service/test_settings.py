"""Bad configuration refuses to start with one line naming the setting and the value."""

from __future__ import annotations

import pytest

from service.contract import DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_LIMIT, Env
from service.settings import MIN_BODY_BYTES, Settings, SettingsError, load_settings
from tests.support.servers import run_to_exit


def error_for(**env: str) -> str:
    with pytest.raises(SettingsError) as info:
        load_settings(**env)
    return str(info.value)


def test_defaults_allow_no_origin() -> None:
    settings = Settings.model_validate({})
    assert settings.allow_origins == []
    assert settings.allow_credentials is False
    assert settings.allow_origin_regex is None


def test_defaults_serve_no_debug_demo_or_docs_route() -> None:
    settings = Settings.model_validate({})
    assert settings.diagnostics_enabled is False
    assert settings.demo_routes_enabled is False
    assert settings.api_docs_enabled is False


def test_default_body_limit_is_the_contracts() -> None:
    assert Settings.model_validate({}).max_body_bytes == DEFAULT_MAX_BODY_BYTES


def test_body_limit_may_reach_what_api_gateway_forwards() -> None:
    settings = Settings.model_validate({Env.MAX_BODY_BYTES: str(MAX_BODY_BYTES_LIMIT)})
    assert settings.max_body_bytes == MAX_BODY_BYTES_LIMIT


def test_origins_are_parsed_from_a_comma_separated_list() -> None:
    settings = Settings.model_validate({Env.ALLOW_ORIGINS: " https://a.test , http://b.test:8080,"})
    assert settings.allow_origins == ["https://a.test", "http://b.test:8080"]


def test_wildcard_with_credentials_is_refused() -> None:
    message = error_for(**{Env.ALLOW_ORIGINS: "*", Env.ALLOW_CREDENTIALS: "true"})
    assert message.startswith(f"invalid setting {Env.ALLOW_ORIGINS}='*'")
    assert "credentials" in message


def test_wildcard_without_credentials_is_accepted() -> None:
    assert Settings.model_validate({Env.ALLOW_ORIGINS: "*"}).allow_origins == ["*"]


def test_empty_origin_list_with_credentials_is_refused() -> None:
    message = error_for(**{Env.ALLOW_CREDENTIALS: "true"})
    assert f"{Env.ALLOW_ORIGINS}=''" in message
    assert "no origin" in message


@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("https://app.example.com/", "trailing slash"),
        ("https://app.example.com/app", "path"),
        ("https://app.example.com?x=1", "query"),
        ("app.example.com", "http:// or https://"),
        ("ftp://app.example.com", "http:// or https://"),
        ("https://", "no host"),
        ("https://app.example.com:99999", "not a valid URL"),
        ("https://user@app.example.com", "user info"),
        ("https://App.Example.com", "lower-case"),
        ("null", "never be trusted"),
        ("https://app.example.com:443", "default port"),
        ("http://app.example.com:80", "default port"),
        ("https://*.example.com", "invalid host"),
        ("https://app_example.com", "invalid host"),
        ("https://app..example.com", "invalid host"),
    ],
)
def test_malformed_origin_is_refused_naming_setting_and_value(origin: str, reason: str) -> None:
    message = error_for(**{Env.ALLOW_ORIGINS: f"https://ok.example.com,{origin}"})
    assert len(message.splitlines()) == 1
    assert message.startswith(f"invalid setting {Env.ALLOW_ORIGINS}=")
    assert repr(origin) in message
    assert reason in message


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:5173",
        "https://app.example.com:8443",
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
        "https://xn--bcher-kva.example",
    ],
)
def test_well_formed_origin_is_accepted(origin: str) -> None:
    assert Settings.model_validate({Env.ALLOW_ORIGINS: origin}).allow_origins == [origin]


def test_origin_with_path_error_suggests_the_bare_origin() -> None:
    message = error_for(**{Env.ALLOW_ORIGINS: "https://app.example.com/"})
    assert "'https://app.example.com'" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (Env.ALLOW_CREDENTIALS, "maybe"),
        (Env.MAX_AGE, "-1"),
        (Env.MAX_AGE, "ten"),
        (Env.ALLOW_ORIGIN_REGEX, "https://(unclosed"),
        (Env.ALLOW_METHODS, "GET,PO ST"),
        (Env.ALLOW_HEADERS, "X-Ok,Bad Header"),
        (Env.ROOT_PATH, "v1"),
        (Env.ROOT_PATH, "/v1/"),
        (Env.LOG_LEVEL, "loud"),
        (Env.DIAGNOSTICS_ENABLED, "sometimes"),
        (Env.DEMO_ROUTES_ENABLED, "perhaps"),
        (Env.API_DOCS_ENABLED, "2"),
        (Env.MAX_BODY_BYTES, "1MB"),
        (Env.MAX_BODY_BYTES, str(MIN_BODY_BYTES - 1)),
        (Env.MAX_BODY_BYTES, str(MAX_BODY_BYTES_LIMIT + 1)),
    ],
)
def test_bad_value_is_refused_naming_setting_and_value(name: str, value: str) -> None:
    message = error_for(**{name: value})
    assert len(message.splitlines()) == 1
    assert message.startswith(f"invalid setting {name}={value!r}")


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(Env.ALLOW_ORIGINS, "https://app.example.com")
    monkeypatch.setenv(Env.ALLOW_CREDENTIALS, "true")
    monkeypatch.setenv(Env.ROOT_PATH, "/v1")
    settings = load_settings()
    assert settings.allow_origins == ["https://app.example.com"]
    assert settings.allow_credentials is True
    assert settings.root_path == "/v1"


def test_server_command_refuses_to_start_with_one_clear_line() -> None:
    result = run_to_exit({Env.ALLOW_ORIGINS: "*", Env.ALLOW_CREDENTIALS: "true"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: invalid setting {Env.ALLOW_ORIGINS}='*': '*' together with credentials would "
        "let every website make credentialed requests; list the allowed origins explicitly"
    ]


def test_server_command_reports_every_bad_setting() -> None:
    result = run_to_exit({Env.ALLOW_ORIGINS: "https://a.test/", Env.MAX_AGE: "x"})
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2
    assert any(Env.ALLOW_ORIGINS in line for line in errors)
    assert any(Env.MAX_AGE in line for line in errors)
