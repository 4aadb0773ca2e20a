"""The one self-signed certificate helper: trusted for loopback names and only for them."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from devstack import certificate
from devstack.certificate import Certificate

HANDSHAKE_TIMEOUT_SECONDS = 5.0


def handshake(made: Certificate, server_name: str) -> None:
    """A TLS handshake with a server holding `made`, by a client trusting only `made`."""
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(made.cert, made.key)
    client_side = ssl.create_default_context(cafile=str(made.cert))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(HANDSHAKE_TIMEOUT_SECONDS)

        def serve() -> None:
            connection, _ = listener.accept()
            try:
                with server_side.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client refused the certificate; the client side reports it

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        port = listener.getsockname()[1]
        with (
            socket.create_connection(("127.0.0.1", port), HANDSHAKE_TIMEOUT_SECONDS) as raw,
            client_side.wrap_socket(raw, server_hostname=server_name),
        ):
            pass
        thread.join(HANDSHAKE_TIMEOUT_SECONDS)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return certificate.self_signed(tmp_path_factory.mktemp("tls"), ["internal-nlb.local"])


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "internal-nlb.local"])
def test_certificate_is_trusted_for_loopback_and_the_extra_names(
    made: Certificate, name: str
) -> None:
    handshake(made, name)


def test_certificate_is_refused_for_any_other_name(made: Certificate) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        handshake(made, "example.com")


def test_a_name_that_is_not_a_dns_name_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^'bad name,IP:10.0.0.1' is not a DNS name$"):
        certificate.self_signed(tmp_path, ["bad name,IP:10.0.0.1"])
