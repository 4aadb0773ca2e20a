"""Command line: `check` any URL, or `smoke` a deployed stack from `cdk deploy --outputs-file`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlsplit

from cors_doctor.driver import diagnose, same_origin
from cors_doctor.inputs import (
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    UsageError,
    check_method,
    check_origin,
    check_url,
    find_output,
    join_path,
    one_line,
    parse_header,
    read_outputs,
    seconds,
)
from cors_doctor.model import PageRequest, PathReport
from cors_doctor.report import render_json, render_text
from cors_doctor.smoke import SmokePlan, requests_for
from cors_doctor.transport import NetworkError, Session, tls_context

# find_output: tests/infra reads the synthesized outputs the way `smoke` does.
__all__ = ["build_parser", "find_output", "main"]

PROG = "cors-doctor"
DEFAULT_PROBE_ORIGIN = "https://cors-doctor.invalid"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

CHECK_EPILOG = """\
examples:
  python -m cors_doctor check https://api.example.com/prod --origin https://app.example.com \\
      --path api/items --path api/items/999999
  python -m cors_doctor check https://api.example.com/prod/api/items \\
      --origin https://app.example.com --method POST \\
      --header 'Content-Type: application/json' --data '{"name": "x"}' --credentials
  python -m cors_doctor check https://localhost:8443/api/greeting --origin http://localhost:5173 \\
      --header 'X-Client-Name: me' --cacert ./dev-ca.pem --json

Each --path is appended to URL (a stage prefix in URL is kept). The doctor sends the preflight
when a browser would, then the request, following redirects itself so every hop is judged, and
repeats the first exchange from --probe-origin to catch servers that allow any origin.
Exit status: 0 all checks pass, 1 a check failed, 2 bad input or network error.
"""

SMOKE_EPILOG = """\
examples:
  cdk deploy --all --outputs-file outputs.json
  python -m cors_doctor smoke --outputs outputs.json
  python -m cors_doctor smoke --outputs outputs.json --openapi openapi.json
  python -m cors_doctor smoke --outputs outputs.json --path api/items --path healthz --json
  python -m cors_doctor smoke --outputs outputs.json --api-key HttpApiUrl --site-key CdnUrl

The API URL and the site URL are the outputs whose keys contain --api-key and --site-key
(case-insensitive, any stack); the origin is the site URL's scheme://host.

Paths, each joined to the API URL (its stage kept):
  --openapi FILE_OR_URL  an OpenAPI 3 document (JSON): every GET without required parameters
                         (path parameters are filled from their examples), then the first JSON
                         POST whose body has an example, sent with it
  --path P               a GET of P (repeatable; after the document's paths)
  neither                this product's calls: GET api/items, a credentialed JSON POST
                         api/items, GET api/greeting with X-Client-Name, GET api/items/999999
                         (the 404 must carry CORS headers) and GET healthz
The POST is credentialed (--no-credentials: uncredentialed); the GETs are plain.
Exit status: 0 all checks pass, 1 a check failed, 2 bad input or network error.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, so scripts and CI logs show the reason without a usage dump.
        self.exit(EXIT_USAGE, f"{PROG}: error: {one_line(message)} (see --help)\n")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a machine-readable report")
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds for each exchange: connect, headers and body together "
        f"({DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g})",
    )
    parser.add_argument(
        "--probe-origin",
        default=DEFAULT_PROBE_ORIGIN,
        metavar="O",
        help=f"an origin nobody allows; it must be refused (default {DEFAULT_PROBE_ORIGIN})",
    )
    parser.add_argument(
        "--cacert", metavar="FILE", help="trust this CA/self-signed certificate (PEM)"
    )
    parser.add_argument("--insecure", action="store_true", help="skip TLS certificate verification")


def _add_check(commands: argparse._SubParsersAction[_Parser]) -> None:
    check = commands.add_parser(
        "check",
        help="check one URL (and --path variants) the way a browser would",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("url", metavar="URL", help="absolute http(s) URL of the API")
    check.add_argument(
        "--origin", required=True, help="the page's origin, e.g. https://app.example.com"
    )
    check.add_argument("--method", "-X", default="GET", metavar="M", help="method (GET)")
    check.add_argument(
        "--header", "-H", action="append", default=[], metavar="H",
        help="request header 'Name: value' the page sets (repeatable)",
    )  # fmt: skip
    check.add_argument(
        "--credentials", action="store_true", help="fetch with credentials: 'include'"
    )
    check.add_argument(
        "--path", action="append", default=[], metavar="P",
        help="path appended to URL (repeatable); without it URL itself is checked",
    )  # fmt: skip
    check.add_argument("--data", metavar="TEXT", help="body of the actual request")
    _add_common(check)


def _add_smoke(commands: argparse._SubParsersAction[_Parser]) -> None:
    smoke = commands.add_parser(
        "smoke",
        help="verify a deployed stack from `cdk deploy --outputs-file` output",
        epilog=SMOKE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    smoke.add_argument("--outputs", required=True, metavar="FILE", help="cdk outputs JSON file")
    smoke.add_argument("--api-key", default="ApiUrl", help="output key naming the API URL")
    smoke.add_argument("--site-key", default="SiteUrl", help="output key naming the site URL")
    smoke.add_argument("--origin", help="override the origin derived from the site URL")
    smoke.add_argument(
        "--openapi",
        metavar="FILE_OR_URL",
        help="take the paths from this OpenAPI 3 document (JSON file or http(s) URL)",
    )
    smoke.add_argument(
        "--path", action="append", default=[], metavar="P",
        help="GET this path of the API (repeatable); without --openapi or --path, the "
        "product's own calls are checked",
    )  # fmt: skip
    smoke.add_argument(
        "--no-credentials",
        dest="credentials",
        action="store_false",
        help="send the POST without credentials (only for a stack deployed with "
        "-c app:allowCredentials=false; the default stack allows credentials)",
    )
    _add_common(smoke)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Run a browser's CORS checks against a URL and name the cause in plain words.",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_check(commands)
    _add_smoke(commands)
    return parser


@dataclass(frozen=True)
class Options:
    origin: str
    probe_origin: str
    timeout: float
    cacert: str | None
    insecure: bool
    json: bool


def _options(args: argparse.Namespace, origin: str) -> Options:
    probe = check_origin(args.probe_origin, what="--probe-origin")
    if probe == origin:
        raise UsageError("--probe-origin must differ from --origin")
    return Options(
        origin=origin,
        probe_origin=probe,
        timeout=args.timeout,
        cacert=args.cacert,
        insecure=args.insecure,
        json=args.json,
    )


def run(plan: Callable[[Session], Sequence[PageRequest]], options: Options, mode: str) -> int:
    """Diagnose every request the plan makes (it may fetch what it needs with the session)."""
    verify = tls_context(cacert=options.cacert, insecure=options.insecure)
    reports: list[PathReport] = []
    with Session(timeout=options.timeout, verify=verify) as client:
        for request in plan(client):
            reports.append(
                diagnose(client, request, origin=options.origin, probe_origin=options.probe_origin)
            )
    if options.json:
        print(
            render_json(
                reports, origin=options.origin, probe_origin=options.probe_origin, mode=mode
            )
        )
    else:
        print(render_text(reports))
    return EXIT_OK if all(report.ok for report in reports) else EXIT_FAILED


def command_check(args: argparse.Namespace) -> int:
    url = check_url(args.url)
    origin = check_origin(args.origin)
    options = _options(args, origin)
    method = check_method(args.method)
    headers = dict(parse_header(raw) for raw in args.header)
    # surrogateescape: bytes that are not UTF-8 on the command line are sent as given.
    body = args.data.encode("utf-8", "surrogateescape") if args.data is not None else None
    urls = [check_url(join_path(url, path)) for path in args.path] or [url]
    requests = [
        PageRequest(url=u, method=method, headers=headers, credentials=args.credentials, body=body)
        for u in urls
    ]
    return run(lambda _client: requests, options, "check")


def command_smoke(args: argparse.Namespace) -> int:
    path = args.outputs
    outputs = read_outputs(path)
    api_url = check_url(find_output(outputs, args.api_key, path))
    site_url = check_url(find_output(outputs, args.site_key, path))
    site = urlsplit(site_url)
    origin = check_origin(args.origin or f"{site.scheme}://{site.netloc}".lower())
    plan = SmokePlan(
        api_url=api_url,
        openapi_source=args.openapi,
        paths=tuple(args.path),
        credentials=args.credentials,
        same_origin=same_origin(origin, api_url),
    )
    return run(lambda client: requests_for(plan, client), _options(args, origin), "smoke")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        handler = command_check if args.command == "check" else command_smoke
        return handler(args)
    except SystemExit as exc:  # argparse: --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except (UsageError, NetworkError) as exc:
        print(f"{PROG}: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
