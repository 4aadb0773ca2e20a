"""The doctor's data: what the page asks for, each exchange on the way, and the verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field

# Only these response headers matter for CORS; the JSON report keeps them per hop.
CORS_RESPONSE_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "vary",
    "location",
)


@dataclass(frozen=True)
class PageRequest:
    """What the page's fetch() asks for."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    credentials: bool = False
    body: bytes | None = None


@dataclass(frozen=True)
class Hop:
    """One request the doctor sent and the answer it got."""

    kind: str  # "preflight", "request" or "probe"
    method: str
    url: str
    request_headers: dict[str, str]
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)  # lower-case names, in order
    body: str = ""

    def values(self, name: str) -> list[str]:
        """Every header line with this name: two lines mean two layers set it."""
        return [value for key, value in self.headers if key == name]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    @property
    def origin(self) -> str:
        return self.request_headers.get("Origin", "")

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status < 400

    def to_json(self) -> dict[str, object]:
        cors: dict[str, list[str]] = {}
        for key, value in self.headers:
            if key in CORS_RESPONSE_HEADERS:
                cors.setdefault(key, []).append(value)
        return {
            "kind": self.kind,
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "status": self.status,
            "cors_headers": cors,
        }


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    explanation: str
    hint: str = ""
    stage: str = ""  # which exchange it judged: preflight, request, redirect N, probe

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "explanation": self.explanation,
            "hint": self.hint,
            "stage": self.stage,
        }


@dataclass
class PathReport:
    """Everything the doctor saw and decided for one PageRequest."""

    request: PageRequest
    origin: str
    preflighted: bool
    checks: list[Check] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.request.url,
            "method": self.request.method,
            "headers": self.request.headers,
            "credentials": self.request.credentials,
            "origin": self.origin,
            "preflighted": self.preflighted,
            "ok": self.ok,
            "checks": [check.to_json() for check in self.checks],
            "hops": [hop.to_json() for hop in self.hops],
        }
