"""Every malformed URL, option or outputs file is one line on stderr and exit 2, never a crash."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from cors_doctor.inputs import MAX_OUTPUTS_BYTES
from cors_doctor.openapi import MAX_OPENAPI_BYTES
from tests.doctor.conftest import ORIGIN, Endpoint
from tests.doctor.test_cli import assert_one_line_error
from tests.support.servers import free_port

# Nothing listens here, so a command line that passes validation ends in "connection refused".
UNREACHABLE = f"http://127.0.0.1:{free_port()}"

BAD_URLS = {
    "an IPv6 host never closed": ("http://[::1", "URL 'http://[::1' is invalid"),
    "no host at all": ("http://", "must be an absolute http:// or https:// URL"),
    "a port but no host": ("http://:8080/api", "has no host"),
    "a non-http scheme": ("ftp://api.example.com/", "must be an absolute http:// or https://"),
    "a port out of range": ("http://127.0.0.1:99999/", "Port out of range"),
    "user info": ("https://user:pw@api.example.com/", "has user info"),
    "a control character": ("http://127.0.0.1/a\tb", "non-printable"),
    "a DNS label over 63 characters": ("http://" + "a" * 64 + ".example.com/", "is invalid"),
    "bytes that are not UTF-8": ("http://127.0.0.1/\udcff", "surrogates not allowed"),
}


@pytest.mark.parametrize(("url", "fragment"), BAD_URLS.values(), ids=BAD_URLS.keys())
def test_malformed_url_exits_2(doctor, url: str, fragment: str) -> None:
    assert_one_line_error(doctor("check", url, "--origin", ORIGIN), fragment)


def test_path_that_makes_the_url_malformed_exits_2(doctor) -> None:
    outcome = doctor("check", UNREACHABLE, "--origin", ORIGIN, "--path", "a\nb")
    assert_one_line_error(outcome, "non-printable")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "301", "1e400", "ten", ""])
def test_timeout_outside_0_to_300_seconds_exits_2(doctor, value: str) -> None:
    outcome = doctor("check", UNREACHABLE, "--origin", ORIGIN, f"--timeout={value}")
    assert_one_line_error(outcome, "argument --timeout: ", f"{value!r}")


BAD_ORIGINS = [
    "https://app.example.com/app",
    "null",
    "*",
    "ftp://app.example.com",
    "https://APP.example.com",
    "app.example.com",
    "https://app.example.com:443",
    "https://[::1",
    "https://app.example.com\n",
]


@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_origin_that_is_not_an_origin_exits_2(doctor, origin: str) -> None:
    assert_one_line_error(doctor("check", UNREACHABLE, "--origin", origin), "--origin")


@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_probe_origin_that_is_not_an_origin_exits_2(doctor, origin: str) -> None:
    outcome = doctor("check", UNREACHABLE, "--origin", ORIGIN, "--probe-origin", origin)
    assert_one_line_error(outcome, "--probe-origin")


BAD_HEADERS = {
    "NoColon": "must look like 'Name: value'",
    ": no name": "must look like 'Name: value'",
    "Bad Name: v": "header name 'Bad Name' is not a valid HTTP token",
    "X-Split: a\r\nX-Injected: b": "the value must be printable ASCII",
    "X-Client-Name: caf\u00e9": "the value must be printable ASCII",
    "X-Nul: a\x00b": "the value must be printable ASCII",
}


@pytest.mark.parametrize(("header", "fragment"), BAD_HEADERS.items(), ids=range(len(BAD_HEADERS)))
def test_malformed_header_exits_2(doctor, header: str, fragment: str) -> None:
    outcome = doctor("check", UNREACHABLE, "--origin", ORIGIN, "-H", header)
    assert_one_line_error(outcome, fragment)


@pytest.mark.parametrize(
    ("method", "fragment"),
    [
        ("GE T", "is not a valid HTTP token"),
        ("", "is not a valid HTTP token"),
        ("G\nET", "is not a valid HTTP token"),
        ("P\u00d6ST", "is not a valid HTTP token"),
        ("CONNECT", "a browser never sends CONNECT"),
    ],
)
def test_malformed_method_exits_2(doctor, method: str, fragment: str) -> None:
    outcome = doctor("check", UNREACHABLE, "--origin", ORIGIN, "-X", method)
    assert_one_line_error(outcome, fragment)


def outputs(api_url: str) -> str:
    return json.dumps({"Api": {"ApiUrl": api_url}, "Site": {"SiteUrl": "https://app.example.com"}})


BAD_OUTPUTS = {
    "a directory": (None, "cannot read"),
    "a JSON list": ("[]", "expected an object of stacks"),
    "JSON nested too deeply": ("[" * 100_000 + "]" * 100_000, "is not valid JSON"),
    "bytes that are not UTF-8": (b"\xff\xfe{}", "is not valid JSON"),
    "a stack that is not an object": ('{"Api": "x"}', "stack 'Api' is not an object"),
    "a malformed API URL": (outputs("http://[::1"), "URL 'http://[::1' is invalid"),
    "a non-http API URL": (outputs("ftp://api.example.com"), "must be an absolute http://"),
    "an API URL without host": (outputs("https:///prod"), "must be an absolute http://"),
    "too large": (" " * MAX_OUTPUTS_BYTES + "{}", f"is over {MAX_OUTPUTS_BYTES} bytes"),
}


@pytest.mark.parametrize(("content", "fragment"), BAD_OUTPUTS.values(), ids=BAD_OUTPUTS.keys())
def test_malformed_outputs_file_exits_2(
    doctor, tmp_path: Path, content: str | bytes | None, fragment: str
) -> None:
    path = tmp_path / "outputs.json"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert_one_line_error(doctor("smoke", "--outputs", str(path)), fragment)


def openapi(paths: object) -> str:
    return json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths})


def get_with(**fields: object) -> str:
    return openapi({"/a": {"get": fields}})


LOOP = {"openapi": "3.1.0", "paths": {"/a": {"$ref": "#/x"}}, "x": {"$ref": "#/x"}}
BAD_OPENAPI = {
    "a directory": (None, "cannot read"),
    "not JSON": ("{not json", "is not valid JSON"),
    "YAML": ("openapi: 3.1.0\npaths: {}\n", "is not valid JSON"),
    "bytes that are not UTF-8": (b"\xff\xfe{}", "is not valid JSON"),
    "a JSON list": ("[]", "expected an OpenAPI document (a JSON object)"),
    "Swagger 2.0": ('{"swagger": "2.0", "paths": {}}', "OpenAPI 3 document (no 'openapi' field)"),
    "a version that is not 3.x": ('{"openapi": 2, "paths": {}}', "('openapi': 2)"),
    "no paths": ('{"openapi": "3.1.0"}', "paths is missing or not an object"),
    "paths that are a list": ('{"openapi": "3.1.0", "paths": []}', "paths is missing"),
    "a path without a slash": (openapi({"items": {}}), "paths.items does not start with '/'"),
    "a path item that is no object": (openapi({"/a": []}), "paths./a is not an object"),
    "an operation that is no object": (openapi({"/a": {"get": 1}}), "paths./a.get is not an"),
    "parameters that are no list": (get_with(parameters={}), "a.get.parameters is not a list"),
    "a parameter without a name": (
        get_with(parameters=[{"in": "query"}]),
        "paths./a.get.parameters[0] has no string 'name' and 'in'",
    ),
    "a remote reference": (
        get_with(parameters=[{"$ref": "other.json#/p"}]),
        "has $ref 'other.json#/p'; only local '#/...' references are followed",
    ),
    "a dangling reference": (
        get_with(parameters=[{"$ref": "#/components/parameters/Gone"}]),
        "which names nothing in the document",
    ),
    "a reference loop": (json.dumps(LOOP), "has a $ref chain longer than 20"),
    "no operation the rules pick": (
        openapi({"/a/{id}": {"get": {}}, "/b": {"put": {}}}),
        "no GET without required parameters and no JSON POST with an example; name the paths",
    ),
    "too large": (" " * MAX_OPENAPI_BYTES + "{}", f"is over {MAX_OPENAPI_BYTES} bytes"),
}


@pytest.mark.parametrize(("content", "fragment"), BAD_OPENAPI.values(), ids=BAD_OPENAPI.keys())
def test_malformed_openapi_file_exits_2_before_any_request(
    doctor, tmp_path: Path, content: str | bytes | None, fragment: str
) -> None:
    # The API is UNREACHABLE: a request sent before the document was judged would end in
    # "connection refused" instead of the document's fault.
    files = tmp_path / "outputs.json", tmp_path / "openapi.json"
    files[0].write_text(outputs(UNREACHABLE))
    if content is None:
        files[1].mkdir()
    elif isinstance(content, bytes):
        files[1].write_bytes(content)
    else:
        files[1].write_text(content)
    outcome = doctor("smoke", "--outputs", str(files[0]), "--openapi", str(files[1]))
    assert_one_line_error(outcome, fragment)


def test_missing_openapi_file_exits_2(doctor, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(outputs(UNREACHABLE))
    outcome = doctor("smoke", "--outputs", str(path), "--openapi", str(tmp_path / "absent.json"))
    assert_one_line_error(outcome, f"OpenAPI file {tmp_path / 'absent.json'} not found")


def test_smoke_path_that_makes_the_url_malformed_exits_2(doctor, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(outputs(UNREACHABLE))
    outcome = doctor("smoke", "--outputs", str(path), "--path", "a\nb")
    assert_one_line_error(outcome, "non-printable")


# The fuzz test: random command lines, mostly valid pieces with some broken ones, against the
# fault server and a port where nothing listens. Bounded and seeded, so a failure reproduces;
# every host is local, so nothing leaves the machine.
EXAMPLES = 500
TEXT = "aZ09 -_:/?#[]@!$&'()*+,;=%.\\\"{}|^`~<>\t\n\r\x00\x7f\u00e9\u2028\udcff"
BAD_URL_LIST = [*(url for url, _ in BAD_URLS.values()), "127.0.0.1", "", "-"]
GOOD_ORIGINS = [ORIGIN, "http://localhost:5173", "https://evil.test"]
GOOD_TIMEOUTS = ["0.5", "1", "1e-3", "3"]
BAD_TIMEOUTS = ["nan", "inf", "-1", "0", "301", "1e400", "x", ""]
GOOD_HEADERS = ["X-Client-Name: t", "Content-Type: application/json", "Authorization: x"]
GOOD_METHODS = ["GET", "POST", "PUT", "delete", "OPTIONS", "*"]
BAD_METHODS = ["TRACE", "GE T", ""]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(TEXT) for _ in range(rng.randint(0, 12)))


def mostly(rng: random.Random, good: list[str], bad: list[str]) -> str:
    """A good piece four times in five, else a bad one or random text."""
    return rng.choice(good) if rng.random() < 0.8 else rng.choice([*bad, random_text(rng)])


def random_argv(rng: random.Random, urls: list[str], files: list[str]) -> list[str]:
    options: list[list[str]] = [
        ["--timeout", mostly(rng, GOOD_TIMEOUTS, BAD_TIMEOUTS)],
        ["--probe-origin", mostly(rng, ["https://other.test"], BAD_ORIGINS)],
        [rng.choice(["--json", "--insecure", "--credentials", "--bogus", "--"])],
        ["--cacert", rng.choice([*files, random_text(rng)])],
    ]
    if rng.random() < 0.75:
        url = mostly(rng, urls, BAD_URL_LIST)
        if rng.random() < 0.1:
            url += random_text(rng)
        argv = ["check", url, "--origin", mostly(rng, GOOD_ORIGINS, BAD_ORIGINS)]
        options += [
            ["-H", mostly(rng, GOOD_HEADERS, list(BAD_HEADERS))],
            ["-H", mostly(rng, GOOD_HEADERS, list(BAD_HEADERS))],
            ["-X", mostly(rng, GOOD_METHODS, BAD_METHODS)],
            ["--path", mostly(rng, ["api/items", "/ok", "no-allow-origin"], [])],
            ["--data", random_text(rng)],
        ]
    else:
        argv = ["smoke", "--outputs", rng.choice([*files, random_text(rng)])]
        options += [
            ["--api-key", mostly(rng, ["ApiUrl"], ["Site"])],
            ["--site-key", mostly(rng, ["SiteUrl"], ["Api"])],
            ["--origin", mostly(rng, GOOD_ORIGINS, BAD_ORIGINS)],
            ["--no-credentials"],
            ["--openapi", rng.choice([*files, f"{urls[2]}/../openapi.json", random_text(rng)])],
            ["--path", mostly(rng, ["api/items", "/ok"], [random_text(rng)])],
        ]
    # Each option now and then; a short deadline first, so a valid line ends quickly whatever
    # answers; now and then an option left without its value at the end.
    chosen = [part for option in options if rng.random() < 0.2 for part in option]
    if rng.random() < 0.05:
        chosen.append(rng.choice(["--timeout", "-H", "--origin"]))
    return [*argv[:1], "--timeout", "1", *argv[1:], *chosen]


def test_random_command_lines_end_in_a_documented_exit_code(
    doctor, faulty: Endpoint, tmp_path: Path
) -> None:
    urls = [UNREACHABLE, f"{UNREACHABLE}/api/items", f"{faulty.url}/ok", f"{faulty.url}/loop"]
    urls += [f"{faulty.url}/reflect-any", faulty.url.replace("127.0.0.1", "localhost")]
    files = [str(tmp_path), str(tmp_path / "absent.json"), "/dev/null"]
    contents = [outputs(f"{faulty.url}/"), outputs(UNREACHABLE)]
    contents += [content for content, _ in BAD_OUTPUTS.values() if isinstance(content, str)]
    contents += [openapi({"/ok": {"get": {}}, "/loop": {"get": {}}})]
    too_large = BAD_OPENAPI["too large"][0]
    contents += [c for c, _ in BAD_OPENAPI.values() if isinstance(c, str) and c is not too_large]
    for number, content in enumerate(contents):
        path = tmp_path / f"outputs-{number}.json"
        path.write_text(content)
        files.append(str(path))
    rng = random.Random(8)  # noqa: S311 - reproducible test input, not secrets
    for _ in range(EXAMPLES):
        argv = random_argv(rng, urls, files)
        try:
            outcome = doctor(*argv)
        except Exception as exc:  # what would have been a traceback
            pytest.fail(f"{argv!r} raised {exc!r}")
        assert outcome.code in {0, 1, 2}, argv
        assert "Traceback" not in outcome.err, argv
        if outcome.code == 2:
            assert outcome.err.count("\n") == 1, (argv, outcome.err)
            assert outcome.err.startswith("cors-doctor: error: "), (argv, outcome.err)
