"""The running container: health check, CORS, no redirects, proxy trust, user and lock-down."""

from __future__ import annotations

import json

import httpx

from devstack import TRUSTED_PROXY_ADDRESS
from devstack.container import Container
from devstack.processes import free_port
from service import contract
from service.contract import Env
from tests.container.conftest import APP_ORIGIN

LOOKALIKES = ["https://app.example.com.evil.test", "http://app.example.com", "null"]
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
# Tries to create a file in each directory; prints the error name per directory (or "written").
TRY_WRITES = """
import errno, json, os, sys
outcome = {}
for directory in sys.argv[1:]:
    try:
        with open(os.path.join(directory, "probe"), "w") as handle:
            handle.write("x")
        outcome[directory] = "written"
    except OSError as exc:
        outcome[directory] = errno.errorcode[exc.errno]
print(json.dumps(outcome))
"""


def test_health_check_passes_in_the_running_container(service: Container) -> None:
    result = service.healthcheck()  # podman runs the image's HEALTHCHECK inside the container
    assert result.returncode == 0, result.stdout + result.stderr


def test_health_check_fails_when_nothing_listens_on_its_port(service: Container) -> None:
    # The control for the test above: the contract's health check, pointed at a closed port.
    command = contract.HEALTH_CHECK_COMMAND[1:]  # after "CMD"
    result = service.exec("env", f"{Env.PORT}={free_port()}", *command)
    assert result.returncode == 1
    assert result.stderr.startswith("unhealthy: http://127.0.0.1:"), result.stderr
    assert "ConnectionRefusedError" in result.stderr


def test_server_runs_as_the_images_non_root_user(service: Container) -> None:
    uids = service.server_status()["Uid"].split()
    assert uids == ["10001"] * 4


def test_server_has_no_capabilities(service: Container) -> None:
    status = service.server_status()
    for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[field], 16) == 0, field


def test_server_cannot_gain_privileges(service: Container) -> None:
    assert service.server_status()["NoNewPrivs"] == "1"


def test_server_runs_under_an_init_process(service: Container) -> None:
    # As with the task definition's initProcessEnabled: PID 1 forwards signals and reaps.
    status = service.server_status()
    assert status["NSpid"].split()[-1] != "1"
    assert status["init_comm"] in {"podman-init", "catatonit"}


def test_root_filesystem_is_read_only_outside_tmp(service: Container) -> None:
    places = ["/app/service", "/app", "/var/tmp", "/run", "/home", "/"]
    result = service.exec("python", "-c", TRY_WRITES, *places)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == dict.fromkeys(places, "EROFS")


def test_tmp_is_writable(service: Container) -> None:
    result = service.exec("python", "-c", TRY_WRITES, "/tmp")
    assert json.loads(result.stdout) == {"/tmp": "written"}


def test_allowed_origin_gets_credentialed_cors_headers(client: httpx.Client) -> None:
    response = client.get("/api/items", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"


def test_allowed_origin_preflight_is_answered_by_the_service(client: httpx.Client) -> None:
    response = client.options(
        "/api/items",
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-client-name",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_lookalike_origins_get_no_cors_headers(client: httpx.Client) -> None:
    for origin in LOOKALIKES:
        response = client.get("/api/items", headers={"Origin": origin})
        assert "access-control-allow-origin" not in response.headers, origin
        preflight = client.options(
            "/api/items", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers, origin


def test_trailing_slash_behind_a_proxy_is_not_redirected(proxy_client: httpx.Client) -> None:
    # Behind an ALB that terminates TLS: a slash redirect from the internal Host and the trusted
    # X-Forwarded-Proto would still send the browser to a host it cannot reach.
    headers = {**FORWARDED, "Host": "internal-nlb.example.internal", "Origin": APP_ORIGIN}
    for path in ("/api/items/", "/healthz/", "/api/items/1/"):
        response = proxy_client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert "location" not in response.headers, path
        assert response.headers["access-control-allow-origin"] == APP_ORIGIN, path


def test_forwarded_headers_from_the_trusted_network_are_honoured(
    proxy_client: httpx.Client,
) -> None:
    seen = proxy_client.get("/debug/request", headers=FORWARDED).json()
    assert (seen["scheme"], seen["client"].split(":")[0]) == ("https", "203.0.113.9")
    assert seen["peer_trusted"] is True
    assert seen["forwarded_allow_ips"] == f"{TRUSTED_PROXY_ADDRESS}/32"


def test_forwarded_headers_from_outside_the_trusted_network_are_ignored(
    client: httpx.Client,
) -> None:
    seen = client.get("/debug/request", headers=FORWARDED).json()
    assert (seen["scheme"], seen["client"].split(":")[0]) == ("http", "127.0.0.1")
    assert seen["peer_trusted"] is False
