"""Start and stop the local stack: services, nginx hops and frontend sites on 127.0.0.1."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from devstack import certificate, container, lambda_shim, nginx, prereqs
from devstack.config import (
    ALB_HOST,
    API_GATEWAY,
    HTTP_API,
    LAMBDA,
    NLB_HOST,
    PUBLIC_ALB,
    REST_ALB,
    SAME_ORIGIN,
    Ingress,
    LocalStackConfig,
    ServiceSpec,
)
from devstack.nginx_config import stack_config
from devstack.podman import podman_binary
from devstack.processes import DEFAULT_APP, ServerError, ServerProcess, free_port, service_command
from service import contract
from service.contract import Env


def _service_settings(spec: ServiceSpec, origins: list[str], root_path: str) -> dict[str, str]:
    settings = contract.container_environment(
        allow_origins=origins,
        # As the deployed config: no cross-origin caller (a same-origin chain), no credentials.
        allow_credentials=bool(origins),
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


class LocalStack:
    """The whole local stack. Use as a context manager, or call start() and stop().

    Each chain's service is a `ServerProcess`: the container's command line as a local process,
    or the image itself (`devstack.container.Container`); nothing after the start tells them
    apart.
    """

    def __init__(self, config: LocalStackConfig | None = None, workdir: Path | None = None) -> None:
        self.config = config or LocalStackConfig()
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="devstack-"))
        self.certificate = certificate.Certificate(
            self.workdir / "tls" / "cert.pem", self.workdir / "tls" / "key.pem"
        )
        self.services: dict[Ingress, ServerProcess] = {}
        self.nginx: ServerProcess | None = None
        self.ports: dict[str, int] = {}

    # ---- URLs -------------------------------------------------------------------------------

    def api_url(self, ingress: Ingress) -> str:
        """The public API base URL, with a trailing slash, as config.json's apiUrl holds it."""
        if ingress == API_GATEWAY:
            return f"https://127.0.0.1:{self.ports['gateway']}/{self.config.stage}/"
        if ingress == HTTP_API:
            return f"https://127.0.0.1:{self.ports['http_api_gateway']}/"
        if ingress == LAMBDA:
            return f"https://127.0.0.1:{self.ports['lambda_gateway']}/{self.config.stage}/"
        if ingress == SAME_ORIGIN:
            # config.json names the site's own origin; the API's routes are under /api.
            return self.site_url(f"{SAME_ORIGIN}-site")
        if ingress == REST_ALB:
            return f"https://127.0.0.1:{self.ports['rest_alb_gateway']}/{self.config.stage}/"
        return f"https://127.0.0.1:{self.ports['public_alb_https']}/"

    @property
    def public_alb_http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['public_alb_http']}/"

    @property
    def internal_alb_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['internal_alb']}/"

    @property
    def alb_host(self) -> str:
        """The Host an HTTP API's integration sends: the ALB's name and listener port."""
        return f"{ALB_HOST}:{self.ports['http_api_alb']}"

    @property
    def rest_alb_host(self) -> str:
        """The Host a REST API's v2 private integration sends: the ALB's name and port."""
        return f"{ALB_HOST}:{self.ports['rest_alb_alb']}"

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

    def __enter__(self) -> LocalStack:
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
            self.certificate = certificate.self_signed(self.workdir / "tls", [NLB_HOST, ALB_HOST])
            for ingress, spec in self.config.services().items():
                self.services[ingress] = self._launch_service(ingress, spec)
            directory = self.workdir / "nginx"
            nginx_ports = [p for name, p in self.ports.items() if not name.startswith("service:")]
            self.nginx = nginx.launch(directory, stack_config(self, directory), nginx_ports)
            for server in [*self.services.values(), self.nginx]:
                server.wait_until_ready()
        except ServerError as exc:
            logs = self.logs()  # before stop() removes the work directory
            self.stop()
            raise ServerError(f"{exc}\n{logs}") from None
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        # nginx first, like draining the load balancer, then each service as ECS stops a task.
        for server in [self.nginx, *self.services.values()]:
            if server is not None:
                server.terminate()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def logs(self) -> str:
        """Everything the servers wrote, for failure messages."""
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
        if HTTP_API in services:
            names += ["http_api_alb", "http_api_gateway"]
        if REST_ALB in services:
            names += ["rest_alb_alb", "rest_alb_gateway"]
        if SAME_ORIGIN in services:
            names += ["same_origin_alb"]
        if LAMBDA in services:
            names += ["lambda_gateway"]
        names += [f"site:{s.name}" for s in self.config.sites()]
        ports: set[int] = set()
        for name in names:
            port = free_port()
            while port in ports:
                port = free_port()
            ports.add(port)
            self.ports[name] = port

    def _launch_service(self, ingress: Ingress, spec: ServiceSpec) -> ServerProcess:
        """The chain's service, started (not yet awaited) as a process or as the image."""
        # The public URL's path (the stage behind the gateway) is the service's root path.
        root_path = urlsplit(self.api_url(ingress)).path.rstrip("/")
        settings = _service_settings(spec, self.allowed_origins(ingress), root_path)
        port = self.ports[f"service:{ingress}"]
        log = self.workdir / "logs" / f"service-{ingress}.log"
        # ECS's stop timeout: the graceful shutdown, then a margin.
        stop_timeout = spec.graceful_shutdown_seconds + 5.0
        image = self.config.container_image
        if ingress == LAMBDA:
            # The function's environment: the container's minus what only a server reads.
            function_settings = {k: v for k, v in settings.items() if k not in contract.SERVER_ONLY}
            function_settings[lambda_shim.STAGE_ENV] = self.config.stage
            return ServerProcess(
                f"service {ingress}",
                [sys.executable, "-m", "devstack.lambda_shim"],
                log=log,
                settings=function_settings,
                port=port,
                stop_timeout=stop_timeout,
            )
        if image is None:
            command = service_command(spec.app)
            return ServerProcess(
                f"service {ingress}",
                command,
                log=log,
                settings=settings,
                port=port,
                stop_timeout=stop_timeout,
            )
        if spec.app != DEFAULT_APP:
            raise RuntimeError(f"{spec.app} is not in the image; only {DEFAULT_APP} is")
        return container.Container(
            image,
            settings,
            log=log,
            purpose=ingress.replace("_", "-"),
            port=port,
            stop_timeout=stop_timeout,
        )
