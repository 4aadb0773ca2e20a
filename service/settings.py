"""The service's one settings object, read from the environment named in the contract."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service import contract
from service.contract import Env

# A smaller body limit would refuse ordinary requests; the contract holds the ceiling.
MIN_BODY_BYTES = 1024


def _env(name: str) -> Any:
    # Only the contract's name is accepted, so a typo'd field name can never configure the app.
    return Field(default=None, validation_alias=AliasChoices(name))


class Settings(BaseSettings):
    """Configuration. Every default is closed: no origin is allowed until one is listed."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=False, extra="ignore")

    allow_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices(Env.ALLOW_ORIGINS)
    )
    allow_origin_regex: str | None = _env(Env.ALLOW_ORIGIN_REGEX)
    allow_credentials: Annotated[bool, NoDecode] = Field(
        default=False, validation_alias=AliasChoices(Env.ALLOW_CREDENTIALS)
    )
    allow_methods: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE"],
        validation_alias=AliasChoices(Env.ALLOW_METHODS),
    )
    allow_headers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["Authorization", "Content-Type", "X-Client-Name", "X-Request-ID"],
        validation_alias=AliasChoices(Env.ALLOW_HEADERS),
    )
    expose_headers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["X-Request-ID"],
        validation_alias=AliasChoices(Env.EXPOSE_HEADERS),
    )
    max_age: int = Field(default=600, ge=0, le=86400, validation_alias=AliasChoices(Env.MAX_AGE))
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        default="info", validation_alias=AliasChoices(Env.LOG_LEVEL)
    )
    # Read by uvicorn itself; validated here too so that '*' (trust anyone) stops the service.
    forwarded_allow_ips: str | None = _env(Env.FORWARDED_ALLOW_IPS)
    # Read by uvicorn itself; validated here too so that 'v1' or '/v1/' stops the service
    # instead of serving docs that point at the wrong place.
    root_path: str = Field(default="", validation_alias=AliasChoices(Env.ROOT_PATH))
    # What a cautious production runs: no debug, demo or docs routes until turned on.
    diagnostics_enabled: Annotated[bool, NoDecode] = Field(
        default=False, validation_alias=AliasChoices(Env.DIAGNOSTICS_ENABLED)
    )
    demo_routes_enabled: Annotated[bool, NoDecode] = Field(
        default=False, validation_alias=AliasChoices(Env.DEMO_ROUTES_ENABLED)
    )
    api_docs_enabled: Annotated[bool, NoDecode] = Field(
        default=False, validation_alias=AliasChoices(Env.API_DOCS_ENABLED)
    )
    max_body_bytes: int = Field(
        default=contract.DEFAULT_MAX_BODY_BYTES,
        ge=MIN_BODY_BYTES,
        le=contract.MAX_BODY_BYTES_LIMIT,
        validation_alias=AliasChoices(Env.MAX_BODY_BYTES),
    )

    @field_validator("allow_origin_regex", "forwarded_allow_ips", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "allow_origins", "allow_methods", "allow_headers", "expose_headers", mode="before"
    )
    @classmethod
    def _split(cls, value: Any) -> Any:
        return contract.parse_list(value) if isinstance(value, str) else value

    @field_validator(
        "allow_credentials",
        "diagnostics_enabled",
        "demo_routes_enabled",
        "api_docs_enabled",
        mode="before",
    )
    @classmethod
    def _bool(cls, value: Any) -> Any:
        return contract.parse_bool(value) if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("allow_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return contract.validate_origins(value)

    @field_validator("allow_methods")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        return [contract.validate_token(m, what="method").upper() for m in value]

    @field_validator("allow_headers", "expose_headers")
    @classmethod
    def _headers(cls, value: list[str]) -> list[str]:
        return [contract.validate_token(h, what="header") for h in value]

    @field_validator("allow_origin_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a valid regular expression ({exc})") from None
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _networks(cls, value: str | None) -> str | None:
        return None if value is None else contract.validate_networks(value)

    @field_validator("root_path")
    @classmethod
    def _root_path(cls, value: str) -> str:
        return contract.validate_root_path(value)

    @model_validator(mode="after")
    def _policy(self) -> Settings:
        try:
            contract.validate_cors_policy(
                origins=self.allow_origins,
                allow_credentials=self.allow_credentials,
                origin_regex=self.allow_origin_regex,
            )
        except ValueError as exc:
            listed = ",".join(self.allow_origins)
            raise ValueError(f"{Env.ALLOW_ORIGINS}={listed!r}: {exc}") from None
        return self


class SettingsError(Exception):
    """Configuration is invalid; str() is one line per bad setting, ready for a log."""


def _field_env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        first = alias.choices[0]
        if isinstance(first, str):
            return first
    return field


def describe(error: ValidationError) -> str:
    """Turn pydantic's multi-line report into one line per setting, naming it and its value."""
    lines = []
    for item in error.errors():
        loc = item.get("loc") or ()
        name = str(loc[0]) if loc else ""
        ctx_error = (item.get("ctx") or {}).get("error")
        message = str(ctx_error) if ctx_error is not None else item["msg"]
        if name and name in Settings.model_fields:
            name = _field_env_name(name)
        if not name or message.startswith(f"{Env.ALLOW_ORIGINS}="):
            lines.append(f"invalid setting {message}")
        else:
            lines.append(f"invalid setting {name}={item.get('input')!r}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise SettingsError with a readable message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
