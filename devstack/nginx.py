"""nginx in the foreground on loopback, through devstack.processes: the stack's hops, test proxies.

Found only through devstack.prereqs. It is stopped with SIGQUIT, nginx's graceful shutdown (like
draining a load balancer; SIGTERM would cut open connections), and killed after a bounded wait.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from devstack import prereqs
from devstack.processes import ServerProcess, ports_open

TEMPLATES: Final = Path(__file__).resolve().parent
STOP_TIMEOUT_SECONDS: Final = 5.0


def render(template: str, values: Mapping[str, object]) -> str:
    """devstack/<template> with each {{key}} replaced; RuntimeError if a placeholder is left."""
    text = (TEMPLATES / template).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    if "{{" in text:
        leftover = text[text.index("{{") :][:40]
        raise RuntimeError(f"{template}: unfilled placeholder near {leftover!r}")
    return text


def launch(directory: Path, config: str, ports: Sequence[int]) -> ServerProcess:
    """Write `config` as directory/nginx.conf and start nginx; ready once every port listens.

    The configuration must not set `daemon` (it runs in the foreground here) and keeps its
    files under `directory`, which also gets error.log and nginx.stderr.
    """
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(config)
    command = [
        prereqs.nginx_binary(),
        "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log"),
        "-g", "daemon off;",
    ]  # fmt: skip
    return ServerProcess(
        "nginx",
        command,
        log=directory / "nginx.stderr",
        port=ports[0],
        ready=ports_open(*ports),
        stop_signal=signal.SIGQUIT,
        stop_timeout=STOP_TIMEOUT_SECONDS,
    )
