"""Start and stop the local stack: services, nginx hops and frontend sites on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Final, Literal
from urllib.parse import urlsplit

import httpx

from devstack import container, prereqs, processes
from devstack.podman import podman_binary
from devstack.processes import free_port
from infra import csp  # standard library only, like service.contract
from service import contract
from service.contract import HEALTH_PATH, SERVER_COMMAND, Env

ROOT: Final = Path(__file__).resolve().parents[1]
FRONTEND: Final = ROOT / "frontend"
TEMPLATES: Final = Path(__file__).resolve().parent

Ingress = Literal["api_gateway", "public_alb"]
API_GATEWAY: Final[Ingress] = "api_gateway"
PUBLIC_ALB: Final[Ingress] = "public_alb"

# The address both "ALBs" connect to the service from, standing in for the load balancers'
# subnets. It is not 127.0.0.1 on purpose: uvicorn trusts 127.0.0.1 by default, which would hide
# a missing setting.
TRUSTED_PROXY_ADDRESS: Final = "127.0.0.2"
TRUSTED_PROXY_CIDR: Final = f"{TRUSTED_PROXY_ADDRESS}/32"
DEFAULT_APP: Final = "service.app:create_app"
# Stands in for the NLB's DNS name, which API Gateway sends as Host; it resolves nowhere, like
# the internal name does from a browser.
NLB_HOST: Final = "internal-nlb.local"
# API Gateway REST API's maximum integration timeout; then the gateway answers 504 itself.
INTEGRATION_TIMEOUT_SECONDS: Final = 29
# What the site's CSP header allows to connect to besides the site itself: every https port on
# loopback, as CloudFront's header allows every REST API of the Region (infra/csp.py). Each
# site's index.html narrows it to that site's own API, as the deployed one does.
LOCAL_API_SOURCES: Final = "https://127.0.0.1:*"


@dataclass(frozen=True)
class ServiceSpec:
    """How one chain's service runs. The defaults are the production settings."""

    app: str = DEFAULT_APP
    # None leaves FORWARDED_ALLOW_IPS unset: uvicorn then trusts only 127.0.0.1 (seed 000).
    forwarded_allow_ips: str | None = TRUSTED_PROXY_CIDR
    graceful_shutdown_seconds: int = 5
    extra_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteSpec:
    """A frontend origin. `raw_config` replaces the generated config.json ('' = no file)."""

    name: str
    ingress: Ingress
    allowed: bool
    raw_config: str | None = None


@dataclass(frozen=True)
class StackConfig:
    api_gateway: ServiceSpec | None = field(default_factory=ServiceSpec)
    public_alb: ServiceSpec | None = field(default_factory=ServiceSpec)
    stage: str = "v1"
    extra_sites: tuple[SiteSpec, ...] = ()
    # Seconds before the "API Gateway" gives up on the integration and answers 504 itself.
    integration_timeout_seconds: int = INTEGRATION_TIMEOUT_SECONDS
    # Run each service as this image (devstack/container.py) instead of a local process.
    container_image: str | None = None

    def services(self) -> dict[Ingress, ServiceSpec]:
        chains: dict[Ingress, ServiceSpec | None] = {
            API_GATEWAY: self.api_gateway,
            PUBLIC_ALB: self.public_alb,
        }
        return {name: spec for name, spec in chains.items() if spec is not None}

    def sites(self) -> list[SiteSpec]:
        """Per chain: the site the API allows and another origin it must refuse."""
        standard = [
            SiteSpec(name=f"{ingress}-{kind}", ingress=ingress, allowed=kind == "site")
            for ingress in self.services()
            for kind in ("site", "other")
        ]
        return standard + [s for s in self.extra_sites if s.ingress in self.services()]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def service_command(app: str) -> list[str]:
    """The container's command line, with only the app factory swapped (for negative controls)."""
    if DEFAULT_APP not in SERVER_COMMAND:
        raise RuntimeError(f"{DEFAULT_APP} is not in contract.SERVER_COMMAND {SERVER_COMMAND}")
    return [app if part == DEFAULT_APP else part for part in SERVER_COMMAND]


@dataclass
class ServiceProcess:
    ingress: Ingress
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    graceful_shutdown_seconds: int
    # Set when the process is `podman run` in the foreground; SIGTERM reaches the container.
    container_name: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def terminate(self, timeout: float | None = None) -> tuple[int, float]:
        """SIGTERM, as ECS does on a deploy; return (exit code, seconds until it exited)."""
        limit = self.graceful_shutdown_seconds + 5.0 if timeout is None else timeout
        result = processes.stop(self.process, limit)
        if self.container_name is not None:
            # Left running only if podman itself had to be killed.
            container.remove(self.container_name)
        return result


def _service_settings(spec: ServiceSpec, origins: list[str], root_path: str) -> dict[str, str]:
    settings = contract.container_environment(
        allow_origins=origins,
        allow_credentials=True,
        forwarded_allow_ips=spec.forwarded_allow_ips or "",
        root_path=root_path,
        graceful_shutdown_seconds=spec.graceful_shutdown_seconds,
        # The local stack is for looking inside: everything the deployed default keeps closed
        # is turned on here, explicitly.
        diagnostics=True,
        demo_routes=True,
        api_docs=True,
        extra=spec.extra_env,
    )
    if spec.forwarded_allow_ips is None:
        del settings[Env.FORWARDED_ALLOW_IPS]
    return settings


def _render(template: str, values: Mapping[str, object]) -> str:
    text = (TEMPLATES / template).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    if "{{" in text:
        leftover = text[text.index("{{") :][:40]
        raise RuntimeError(f"{template}: unfilled placeholder near {leftover!r}")
    return text


class Stack:
    """The whole local stack. Use as a context manager, or call start() and stop()."""

    def __init__(self, config: StackConfig | None = None, workdir: Path | None = None) -> None:
        self.config = config or StackConfig()
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="devstack-"))
        self.services: dict[Ingress, ServiceProcess] = {}
        self.nginx: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}

    # ---- URLs -------------------------------------------------------------------------------

    def api_url(self, ingress: Ingress) -> str:
        """The public API base URL, with a trailing slash, as config.json's apiUrl holds it."""
        if ingress == API_GATEWAY:
            return f"https://127.0.0.1:{self.ports['gateway']}/{self.config.stage}/"
        return f"https://127.0.0.1:{self.ports['public_alb_https']}/"

    @property
    def public_alb_http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['public_alb_http']}/"

    @property
    def internal_alb_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['internal_alb']}/"

    @property
    def nlb_host(self) -> str:
        return f"{NLB_HOST}:{self.ports['internal_alb']}"

    def site_url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.ports['site:' + name]}/"

    def site_origin(self, name: str) -> str:
        return self.site_url(name).rstrip("/")

    def api_origin(self, ingress: Ingress) -> str:
        """scheme://host:port of the chain's public API (no stage)."""
        return "/".join(self.api_url(ingress).split("/", 3)[:3])

    @property
    def gateway_site_origin(self) -> str:
        """The one site origin API Gateway's own error responses name (never the caller's)."""
        return self.site_origin(f"{API_GATEWAY}-site")

    def allowed_origins(self, ingress: Ingress) -> list[str]:
        return [
            self.site_origin(s.name)
            for s in self.config.sites()
            if s.ingress == ingress and s.allowed
        ]

    # ---- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        prereqs.check(browser=False)
        if self.config.container_image is not None:
            podman_binary()
        try:
            self._allocate_ports()
            self._make_certificate()
            self._start_services()
            self._start_nginx()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            # SIGQUIT: graceful, like draining a load balancer; SIGTERM would cut connections.
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(timeout=5)
        for service in self.services.values():
            service.terminate()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def logs(self) -> str:
        """Everything the processes wrote, for failure messages."""
        parts = [f"--- service {name} ---\n{s.output()}" for name, s in self.services.items()]
        for name in ("nginx.stderr", "error.log"):
            path = self.workdir / "nginx" / name
            if path.exists():
                parts.append(f"--- nginx {name} ---\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    def _allocate_ports(self) -> None:
        names: list[str] = []
        services = self.config.services()
        for ingress in services:
            names.append(f"service:{ingress}")
        if API_GATEWAY in services:
            names += ["internal_alb", "gateway"]
        if PUBLIC_ALB in services:
            names += ["public_alb_https", "public_alb_http"]
        names += [f"site:{s.name}" for s in self.config.sites()]
        ports: set[int] = set()
        for name in names:
            port = free_port()
            while port in ports:
                port = free_port()
            ports.add(port)
            self.ports[name] = port

    def _make_certificate(self) -> None:
        tls = self.workdir / "tls"
        tls.mkdir(parents=True, exist_ok=True)
        # Arguments are constants and our own paths; nothing comes from outside.
        subprocess.run(  # noqa: S603
            [
                prereqs.openssl_binary(),
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "2", "-subj", "/CN=devstack.local",
                "-addext", f"subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:{NLB_HOST}",
                "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def _start_services(self) -> None:
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        image = self.config.container_image
        for ingress, spec in self.config.services().items():
            port = self.ports[f"service:{ingress}"]
            # The public URL's path (the stage behind the gateway) is the service's root path.
            root_path = urlsplit(self.api_url(ingress)).path.rstrip("/")
            settings = _service_settings(spec, self.allowed_origins(ingress), root_path)
            name: str | None = None
            if image is None:
                # The contract's host and port are the container's; server_env moves them to
                # loopback and the chain's port.
                del settings[Env.HOST], settings[Env.PORT]
                command = service_command(spec.app)
                env = processes.server_env(settings, port)
            else:
                if spec.app != DEFAULT_APP:
                    raise RuntimeError(f"{spec.app} is not in the image; only {DEFAULT_APP} is")
                name = container.unique_name(ingress.replace("_", "-"))
                command = container.attached_command(
                    image, name, container.loopback_settings(settings, port)
                )
                env = dict(os.environ)
            log = logs / f"service-{ingress}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(  # noqa: S603 - the contract's command line or podman
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    # Out of the terminal's process group: Ctrl-C reaches only devstack, which
                    # stops nginx first and then drains the service, in that order.
                    start_new_session=True,
                )
            self.services[ingress] = ServiceProcess(
                ingress=ingress,
                process=process,
                port=port,
                log=log,
                graceful_shutdown_seconds=spec.graceful_shutdown_seconds,
                container_name=name,
            )

    def _site_config(self, site: SiteSpec) -> str:
        if site.raw_config is not None:
            return site.raw_config
        # Exactly what the CDK app's deployment writes next to index.html.
        return json.dumps({"apiUrl": self.api_url(site.ingress)})

    def _nginx_conf(self, directory: Path) -> str:
        chains: list[str] = []
        services = self.config.services()
        if API_GATEWAY in services:
            chains.append(
                _render(
                    "api_gateway.conf.template",
                    {
                        "service_port": self.ports[f"service:{API_GATEWAY}"],
                        "alb_port": self.ports["internal_alb"],
                        "gateway_port": self.ports["gateway"],
                        "stage": self.config.stage,
                        "nlb_host": self.nlb_host,
                        "site_origin": self.gateway_site_origin,
                        "integration_timeout": f"{self.config.integration_timeout_seconds}s",
                    },
                )
            )
        if PUBLIC_ALB in services:
            chains.append(
                _render(
                    "public_alb.conf.template",
                    {
                        "service_port": self.ports[f"service:{PUBLIC_ALB}"],
                        "https_port": self.ports["public_alb_https"],
                        "http_port": self.ports["public_alb_http"],
                    },
                )
            )
        sites: list[str] = []
        for site in self.config.sites():
            content = self._site_config(site)
            site_dir = directory / "sites" / site.name
            site_dir.mkdir(parents=True, exist_ok=True)
            if content:
                (site_dir / "config.json").write_text(content)
                location = (
                    f"            alias {site_dir / 'config.json'};\n"
                    "            default_type application/json;\n"
                    # The API URL changes per deployment; never let a stale one be cached.
                    '            add_header Cache-Control "no-store" always;'
                )
            else:
                location = "            return 404;"
            headers = site_dir / "headers.conf"
            headers.write_text(
                _render(
                    "site_headers.conf.template",
                    {"name": site.name, "csp": csp.header_policy(LOCAL_API_SOURCES)},
                )
            )
            entry = site_dir / "index.html"
            entry.write_text(
                csp.render_entry(
                    (FRONTEND / "index.html").read_text(encoding="utf-8"),
                    self.api_origin(site.ingress),
                ),
                encoding="utf-8",
            )
            sites.append(
                _render(
                    "site.conf.template",
                    {
                        "name": site.name,
                        "port": self.ports[f"site:{site.name}"],
                        "frontend": FRONTEND,
                        "headers": headers,
                        "entry": entry,
                        "config_location": location,
                    },
                )
            )
        # Only a root master can switch users; its workers would otherwise become "nobody" and
        # could not read this private temp directory.
        user = "user root;" if os.geteuid() == 0 else ""
        return _render(
            "nginx.conf.template",
            {
                "user_directive": user,
                "dir": directory,
                "stage": self.config.stage,
                "cert": self.workdir / "tls" / "cert.pem",
                "key": self.workdir / "tls" / "key.pem",
                "chains": "".join(chains),
                "sites": "".join(sites),
            },
        )

    def _start_nginx(self) -> None:
        directory = self.workdir / "nginx"
        (directory / "tmp").mkdir(parents=True, exist_ok=True)
        conf = directory / "nginx.conf"
        conf.write_text(self._nginx_conf(directory))
        stderr = (directory / "nginx.stderr").open("wb")
        with stderr:
            self.nginx = subprocess.Popen(  # noqa: S603 - our binary, our generated config
                [
                    prereqs.nginx_binary(),
                    "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log"),
                    "-g", "daemon off;",
                ],
                stdout=stderr,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        pending_services = dict(self.services)
        nginx_ports = [port for name, port in self.ports.items() if not name.startswith("service:")]
        while time.monotonic() < deadline:
            for ingress, service in list(pending_services.items()):
                if service.process.poll() is not None:
                    raise RuntimeError(
                        f"service {ingress} exited with {service.process.returncode}\n"
                        + self.logs()
                    )
                try:
                    if httpx.get(service.url + HEALTH_PATH, timeout=1.0).status_code == 200:
                        del pending_services[ingress]
                except httpx.TransportError:
                    pass
            if self.nginx is not None and self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.nginx.returncode}\n" + self.logs())
            if not pending_services and all(_port_open(port) for port in nginx_ports):
                return
            time.sleep(0.05)
        raise RuntimeError(f"the stack was not ready within {timeout}s\n" + self.logs())
