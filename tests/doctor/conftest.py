"""Real servers for the doctor: the fault server over http and https, and the real product."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cors_doctor import main
from devstack import certificate, nginx, prereqs
from devstack.certificate import Certificate
from devstack.processes import ServerProcess, free_port, http_ok
from service.contract import Env
from tests.doctor.broken_peer import Peer, broken_peer
from tests.support.servers import ROOT, running_server

ORIGIN = "https://app.example.com"
# The doctor's product tests call the demo routes (/api/boom, /api/slow); they are off by default.
DEMO_ROUTES_ON = {Env.DEMO_ROUTES_ENABLED: "true", Env.DIAGNOSTICS_ENABLED: "true"}
PRODUCT_SETTINGS = {Env.ALLOW_ORIGINS: ORIGIN, Env.ALLOW_CREDENTIALS: "true", **DEMO_ROUTES_ON}


@dataclass(frozen=True)
class Endpoint:
    url: str
    cacert: str | None = None


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document

    def checks(self) -> list[dict[str, Any]]:
        return [check for path in self.report["paths"] for check in path["checks"]]

    def failures(self) -> list[tuple[str, str]]:
        return [(c["name"], c["explanation"]) for c in self.checks() if not c["ok"]]

    def failed(self, name: str) -> list[str]:
        """Explanations of the failed checks called name."""
        return [explanation for check, explanation in self.failures() if check == name]

    def hops(self) -> list[dict[str, Any]]:
        return [hop for path in self.report["paths"] for hop in path["hops"]]


@contextmanager
def uvicorn_app(
    app: str, log: Path, tls: Certificate | None = None, extra: tuple[str, ...] = ()
) -> Iterator[str]:
    """Serve tests.doctor.apps:<app> with a real uvicorn on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", *extra]
    scheme = "http"
    verify: ssl.SSLContext | bool = True
    if tls is not None:
        command += ["--ssl-certfile", str(tls.cert), "--ssl-keyfile", str(tls.key)]
        scheme, verify = "https", ssl.create_default_context(cafile=str(tls.cert))
    base = f"{scheme}://127.0.0.1:{port}"
    ready = http_ok(f"{base}/healthz", verify)
    with ServerProcess(app, command, log=log, port=port, scheme=scheme, ready=ready) as server:
        server.wait_until_ready()
        yield server.url


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A throwaway self-signed certificate for 127.0.0.1 (devstack's, as the local stack's)."""
    return certificate.self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    log = tmp_path_factory.mktemp("faulty") / "uvicorn.log"
    with uvicorn_app("tests.doctor.apps:failure_modes", log) as url:
        yield Endpoint(url)


@pytest.fixture(scope="session")
def faulty_tls(
    tmp_path_factory: pytest.TempPathFactory, tls_files: Certificate
) -> Iterator[Endpoint]:
    log = tmp_path_factory.mktemp("faulty-tls") / "uvicorn.log"
    with uvicorn_app("tests.doctor.apps:failure_modes", log, tls=tls_files) as url:
        yield Endpoint(url, cacert=str(tls_files.cert))


@pytest.fixture(scope="session")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    """The real service, started with the container's command line and settings env."""
    log = tmp_path_factory.mktemp("product") / "server.log"
    with running_server(PRODUCT_SETTINGS, log) as server:
        yield Endpoint(server.url)


@pytest.fixture(scope="session")
def product_without_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    """The real service with credentials not allowed, as the infra deploys it by default."""
    log = tmp_path_factory.mktemp("product-nocred") / "server.log"
    with running_server({Env.ALLOW_ORIGINS: ORIGIN, **DEMO_ROUTES_ON}, log) as server:
        yield Endpoint(server.url)


@pytest.fixture
def hostile() -> Iterator[Peer]:
    """A raw-socket peer that dribbles headers and bodies (a fresh one, so byte counts are this
    test's own)."""
    with broken_peer() as peer:
        yield peer


@pytest.fixture
def doctor(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run cors_doctor.main in-process; returns the exit code and what it printed."""

    def run(*argv: str) -> Outcome:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def write_outputs(folder: Path, outputs: object) -> str:
    path = folder / "outputs.json"
    path.write_text(json.dumps(outputs))
    return str(path)


def stack_outputs(api_url: str) -> dict[str, dict[str, str]]:
    # The shape `cdk deploy --outputs-file` writes: stack name -> output key -> value.
    return {
        "CorsApiStack": {"ApiUrlOutput": api_url + "/", "LoadBalancerDns": "internal-x"},
        "CorsSiteStack": {"SiteUrl": "https://app.example.com/", "BucketName": "site-bucket"},
    }


def run_module(*argv: str, timeout: float = 60) -> Outcome:
    """Run `python -m cors_doctor` as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "cors_doctor", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


NGINX_SERVER = """
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
    }}
  }}
"""


@dataclass(frozen=True)
class ProxiedPair:
    # uvicorn ignores the proxy's X-Forwarded-Proto, so it redirects to http: the broken set-up
    untrusted: Endpoint
    trusted: Endpoint  # uvicorn trusts the proxy's address: the fix


@pytest.fixture(scope="session")
def tls_proxy(
    tmp_path_factory: pytest.TempPathFactory, tls_files: Certificate
) -> Iterator[ProxiedPair]:
    """nginx terminating TLS in front of two uvicorns, standing in for an ALB that terminates TLS
    and forwards plain HTTP, which uvicorn does not trust by default."""
    try:
        prereqs.nginx_binary()
    except prereqs.PrerequisiteError as exc:
        pytest.fail(str(exc), pytrace=False)
    folder = tmp_path_factory.mktemp("nginx")
    cert, key = tls_files
    app = "tests.doctor.apps:slash_redirect"
    # 192.0.2.1 (TEST-NET) is a proxy address that is not the one in front: like an ALB whose
    # address uvicorn's default (127.0.0.1 only) does not trust.
    untrusted = ("--proxy-headers", "--forwarded-allow-ips", "192.0.2.1")
    trusted = ("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")
    with (
        uvicorn_app(app, folder / "untrusted.log", extra=untrusted) as plain_untrusted,
        uvicorn_app(app, folder / "trusted.log", extra=trusted) as plain_trusted,
    ):
        ports = {name: free_port() for name in ("untrusted", "trusted")}
        upstreams = {"untrusted": plain_untrusted, "trusted": plain_trusted}
        servers = "".join(
            NGINX_SERVER.format(
                port=ports[name], cert=cert, key=key, upstream=upstreams[name].rsplit(":", 1)[1]
            )
            for name in ports
        )
        temp = " ".join(
            f"{kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        config = (
            f"worker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 64; }}\n"
            f"http {{\n  access_log off;\n  {temp}\n{servers}}}\n"
        )
        urls = {name: f"https://127.0.0.1:{port}" for name, port in ports.items()}
        with nginx.launch(folder, config, list(ports.values())) as proxy:
            proxy.wait_until_ready()
            yield ProxiedPair(
                untrusted=Endpoint(urls["untrusted"], cacert=str(cert)),
                trusted=Endpoint(urls["trusted"], cacert=str(cert)),
            )
