"""No input makes the service answer 500, and no error repeats more than a bounded prefix."""

from __future__ import annotations

import json
import random

import pytest

from service.validation import ECHO_LIMIT, echo, loads_strict
from tests.service.conftest import APP_ORIGIN, SETTINGS, Client, make_client

JSON = {"Origin": APP_ORIGIN, "Content-Type": "application/json"}

# Numbers Python's json accepts but JSON has not (or cannot hold in a float).
INVALID_NUMBERS = [
    b'{"name": "x", "quantity": NaN}',
    b'{"name": "x", "quantity": Infinity}',
    b'{"name": "x", "quantity": -Infinity}',
    b'{"name": "x", "quantity": 1e400}',
    b'{"name": 1e999}',
    b'{"name": "x", "extra": [1, {"deep": [NaN]}]}',
    b'{"name": "x", "quantity": -1e400}',
]


@pytest.mark.parametrize("body", INVALID_NUMBERS, ids=lambda b: b.decode())
def test_invalid_json_number_is_422_json_invalid_with_cors(client: Client, body: bytes) -> None:
    response = client.request("POST", "/api/items", content=body, headers=JSON)
    assert response.status_code == 422
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    [error] = response.json()["detail"]
    assert error["type"] == "json_invalid"


@pytest.mark.parametrize("body", [b'{"name": "\\ud800"}', b'{"name": "x", "extra": ["\\udfff"]}'])
def test_lone_surrogate_is_422_json_invalid_with_cors(client: Client, body: bytes) -> None:
    # Valid JSON syntax, but no Unicode text: echoing it (or storing it) could not be encoded.
    response = client.request("POST", "/api/items", content=body, headers=JSON)
    assert response.status_code == 422
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"name": "x\xff"}', "byte 0xff at offset 11 is not utf-8 text"),
        (b"[" * 100_000, "arrays or objects are nested too deeply"),
    ],
    ids=["not-utf-8", "too-deep"],
)
def test_unreadable_json_is_422_json_invalid_naming_the_reason(
    client: Client, body: bytes, reason: str
) -> None:
    # FastAPI's own answer to both is an unexplained 400 "There was an error parsing the body".
    response = client.request("POST", "/api/items", content=body, headers=JSON)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["type"], error["ctx"]) == ("json_invalid", {"error": reason})


def test_invalid_json_number_error_names_the_number(client: Client) -> None:
    body = b'{"name": "x", "quantity": 1e400}'
    [error] = client.request("POST", "/api/items", content=body, headers=JSON).json()["detail"]
    assert error["ctx"] == {"error": "number 1e400 is out of range"}
    assert error["loc"] == ["body", body.index(b"1e400")]


def test_oversized_field_is_echoed_only_up_to_the_bound(client: Client) -> None:
    name = "x" * 900_000
    response = client.request("POST", "/api/items", json={"name": name}, headers=JSON)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["input"] == "x" * ECHO_LIMIT + "…"
    assert len(response.content) < 2 * ECHO_LIMIT + 200


def test_oversized_structure_is_echoed_as_a_bounded_prefix_of_its_json(client: Client) -> None:
    response = client.request("POST", "/api/items", json={"name": list(range(10_000))})
    [error] = response.json()["detail"]
    assert error["type"] == "string_type"
    assert (
        error["input"] == json.dumps(list(range(10_000)), separators=(",", ":"))[:ECHO_LIMIT] + "…"
    )


def test_short_input_is_echoed_unchanged(client: Client) -> None:
    response = client.request("POST", "/api/items", json={"name": "x", "quantity": [1, 2]})
    [error] = response.json()["detail"]
    assert error["input"] == [1, 2]


@pytest.mark.parametrize(
    ("value", "echoed"),
    [(float("nan"), "nan"), (b"\xff", "b'\\xff'"), (10**5000, "<int>"), (ValueError("v"), "v")],
    ids=["nan", "bytes", "huge-int", "exception"],
)
def test_echo_turns_what_json_cannot_carry_into_bounded_text(value: object, echoed: str) -> None:
    assert echo(value) == echoed


def test_strict_loads_reads_ordinary_json_like_json_loads() -> None:
    text = '{"a": [1, -2.5e3, true, null, "\\u00e9"], "b": {"c": 0.1}}'
    assert loads_strict(text.encode()) == json.loads(text)
    assert loads_strict(text.encode("utf-16")) == json.loads(text)


# ---- a bounded fuzz: hostile bodies built from the pieces that broke parsers before ----------

FUZZ_BODIES = 300
_ATOMS = [
    "NaN", "Infinity", "-Infinity", "1e400", "-1e999", "1" * 5000, "0.1e-400", "1E+308",
    '"x"', '""', "null", "true", '"\\ud800"', '"\\u0000"', '"' + "y" * 2000 + '"', "-0",
    "123456789012345678901234567890", "[]", "{}",
]  # fmt: skip


def _value(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth > 6 or roll < 0.5:
        return rng.choice(_ATOMS)
    if roll < 0.75:
        return "[" + ",".join(_value(rng, depth + 1) for _ in range(rng.randint(0, 4))) + "]"
    keys = rng.sample(["name", "quantity", "extra", "name"], k=rng.randint(1, 3))
    return "{" + ",".join(f'"{k}":{_value(rng, depth + 1)}' for k in keys) + "}"


def _hostile_body(rng: random.Random) -> bytes:
    body = _value(rng, 0).encode()
    mutation = rng.random()
    if mutation < 0.1:
        body = body[: rng.randint(0, len(body))]  # truncated
    elif mutation < 0.15:
        body = b"[" * rng.randint(900, 5000) + body  # nesting past the parser's recursion limit
    elif mutation < 0.2:
        body = body + b"\xff\xfe"  # not UTF-8
    return body


def test_fuzzed_hostile_bodies_never_get_a_500() -> None:
    client = make_client(**SETTINGS)
    rng = random.Random(20261123)  # noqa: S311 - a fixed seed, so a failure reproduces
    statuses: dict[int, int] = {}
    for _ in range(FUZZ_BODIES):
        body = _hostile_body(rng)
        response = client.post("/api/items", content=body, headers=JSON)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in {201, 422}, (body[:200], response.text[:200])
        assert response.headers["access-control-allow-origin"] == APP_ORIGIN
        assert len(response.content) < 4 * (ECHO_LIMIT + 200), body[:200]
    assert statuses.get(422, 0) > FUZZ_BODIES // 2, statuses
