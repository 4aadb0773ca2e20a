"""Throwaway self-signed TLS certificates for loopback servers (local stack, doctor tests).

openssl makes them: an EC P-256 key and a certificate valid for two days for 127.0.0.1, localhost
and any extra DNS names; a client trusts it by using the certificate file as its CA.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Final, NamedTuple

from devstack import prereqs
from devstack.processes import last_line

VALID_DAYS: Final = 2
OPENSSL_TIMEOUT_SECONDS: Final = 60
_DNS_NAME: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


class Certificate(NamedTuple):
    cert: Path
    key: Path


def self_signed(folder: Path, dns_names: Sequence[str] = ()) -> Certificate:
    """Write cert.pem and key.pem into `folder`; RuntimeError (one line) if openssl fails."""
    for name in dns_names:
        if not _DNS_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a DNS name")
    folder.mkdir(parents=True, exist_ok=True)
    made = Certificate(cert=folder / "cert.pem", key=folder / "key.pem")
    names = ",".join(["IP:127.0.0.1", "DNS:localhost", *(f"DNS:{name}" for name in dns_names)])
    try:
        result = subprocess.run(  # noqa: S603 - constants and our own paths; nothing from outside
            [
                prereqs.openssl_binary(),
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", str(VALID_DAYS), "-subj", "/CN=127.0.0.1",
                "-addext", f"subjectAltName={names}",
                "-keyout", str(made.key), "-out", str(made.cert),
            ],
            capture_output=True,
            text=True,
            timeout=OPENSSL_TIMEOUT_SECONDS,
            check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"openssl took over {OPENSSL_TIMEOUT_SECONDS}s to make a certificate"
        ) from None
    if result.returncode != 0:
        raise RuntimeError(f"openssl could not make a certificate: {last_line(result.stderr)}")
    return made
