"""Build the service image with podman, without Docker or a registry: one place for all callers.

No container registry is reachable here, so the Dockerfile's base image (`FROM
python:3.11-slim-bookworm`) is replaced by a stand-in made from Debian's archive with debootstrap
and tagged with the same name; `podman build --pull=never` then resolves FROM to it and builds
the unmodified Dockerfile. The stand-in is cached in podman's storage under a content hash of
its recipe, so it is made once per machine (about a minute) and again only when the recipe or
the Dockerfile's FROM changes. scripts/setup.sh, the tests, devstack and the benchmark all call
this module.

    python -m devstack.image base     # make the stand-in base if it is not cached
    python -m devstack.image build    # the base, then the service image; prints its tag
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from devstack.podman import INSTALL_HINT, ContainerError, last_line, podman
from devstack.prereqs import PrerequisiteError

ROOT: Final = Path(__file__).resolve().parents[1]
SERVICE_DIR: Final = ROOT / "service"
DOCKERFILE: Final = SERVICE_DIR / "Dockerfile"
SERVICE_IMAGE: Final = "localhost/cors-safe-stack-service:local"
BASE_REPOSITORY: Final = "localhost/cors-safe-stack-base"
ROOTFS_REPOSITORY: Final = "localhost/cors-safe-stack-rootfs"

# Everything that decides the stand-in's content; its hash is the cache key.
PACKAGES: Final = ("python3", "python3-venv", "ca-certificates")
# Emptied like Debian's slim images do (no docs, manuals, translations or apt caches).
SLIMMED: Final = (
    "var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale",
    "usr/share/info",
)  # fmt: skip
# Like the official image: python and pip in /usr/local/bin (here a venv of Debian's python), a
# UTF-8 locale.
BASE_CONTAINERFILE: Final = """\
FROM {rootfs}
RUN python3 -m venv /usr/local
ENV LANG=C.UTF-8
"""
# The python3 each Debian suite ships, which the stand-in can offer in place of the official one.
SUITE_PYTHON: Final = {"bookworm": "3.11", "trixie": "3.13"}
DEBOOTSTRAP_TIMEOUT_SECONDS: Final = 1200
BUILD_TIMEOUT_SECONDS: Final = 900
LOCK_WAIT_SECONDS: Final = 1500
LOCK_FILE: Final = Path(tempfile.gettempdir()) / "cors-safe-stack-image.lock"
# Host files pip inside the build needs to reach PyPI here (a private CA, the index settings);
# each is mounted read-only when this machine has it.
BUILD_MOUNTS: Final = ("/etc/ssl/certs", "/etc/pip.conf")

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    del message


def base_image_name() -> str:
    """The first stage's FROM image in service/Dockerfile, e.g. python:3.11-slim-bookworm."""
    for line in DOCKERFILE.read_text().splitlines():
        parts = line.split()
        if parts and parts[0].upper() == "FROM" and len(parts) > 1:
            return parts[1]
    raise ContainerError(f"{DOCKERFILE} has no FROM line")


def _suite_and_python(base: str) -> tuple[str, str]:
    match = re.fullmatch(r"(?:docker\.io/(?:library/)?)?python:(\d+\.\d+)-slim-(\w+)", base)
    if match is None:
        raise ContainerError(
            f"no stand-in recipe for the base image {base!r}: expected python:<version>-slim-"
            "<debian suite>"
        )
    python, suite = match.groups()
    if SUITE_PYTHON.get(suite) != python:
        raise ContainerError(
            f"no stand-in for {base!r}: Debian {suite} ships python3 "
            f"{SUITE_PYTHON.get(suite, 'unknown')}, not {python}"
        )
    return suite, python


def recipe_key(base: str) -> str:
    recipe = {
        "base": base, "packages": PACKAGES, "slimmed": SLIMMED, "containerfile": BASE_CONTAINERFILE
    }  # fmt: skip
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The first Debian archive this machine's apt uses (not security); one line if it has none.

    The stand-in base comes from the archive apt already reaches here, never a guessed host.
    """
    files = [sources / "sources.list", *sorted((sources / "sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file() or path.suffix not in {"", ".list", ".sources"}:
            continue
        for line in path.read_text(errors="replace").splitlines():
            line = line.split("#", 1)[0]
            url: str
            for url in re.findall(r"https?://\S+", line):
                if re.search(r"/debian/?$", url):
                    return url.rstrip("/")
    raise ContainerError(
        f"cannot make the stand-in base image: apt names no Debian archive under {sources} "
        "(debootstrap needs one)"
    )


def _image_id(name: str) -> str | None:
    result = podman("image", "inspect", "--format", "{{.Id}}", name, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


class _MachineLock:
    """One base build at a time on this machine (setup and tests may start together)."""

    def __enter__(self) -> None:
        self._handle = LOCK_FILE.open("a")
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._handle.close()
                    raise ContainerError(
                        f"another image build held {LOCK_FILE} for {LOCK_WAIT_SECONDS}s"
                    ) from None
                time.sleep(0.5)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


def ensure_base(progress: Progress = _quiet) -> str:
    """Make the stand-in for the Dockerfile's base unless cached; return the cached image's tag."""
    base = base_image_name()
    cached = f"{BASE_REPOSITORY}:{recipe_key(base)}"
    with _MachineLock():
        if _image_id(cached) is None:
            progress(f"making the stand-in for {base} (debootstrap, once per machine)")
            make_base(cached, base=base, mirror=debian_mirror())
            _forget_other_recipes(cached)
        # `FROM <base>` with --pull=never resolves to localhost/<base>.
        local_name = f"localhost/{base.rsplit('/', 1)[-1]}"
        if _image_id(local_name) != _image_id(cached):
            podman("tag", cached, local_name)
    return cached


def make_base(tag: str, *, base: str, mirror: str) -> None:
    """Debootstrap a stand-in for `base` from the Debian archive at `mirror`; tag it `tag`."""
    suite, python = _suite_and_python(base)
    debootstrap = shutil.which("debootstrap") or shutil.which("/usr/sbin/debootstrap")
    if debootstrap is None:
        raise PrerequisiteError(f"debootstrap is not installed; {INSTALL_HINT}")
    rootfs_tag = f"{ROOTFS_REPOSITORY}:{tag.rsplit(':', 1)[1]}"
    with tempfile.TemporaryDirectory(prefix="cors-safe-stack-base-", dir="/var/tmp") as work:
        rootfs = Path(work) / "rootfs"
        log = (
            Path(tempfile.gettempdir()) / f"cors-safe-stack-debootstrap-{tag.rsplit(':', 1)[1]}.log"
        )
        with log.open("wb") as handle:
            try:
                result = subprocess.run(  # noqa: S603 - fixed arguments, our own paths
                    [
                        debootstrap, "--variant=minbase", f"--include={','.join(PACKAGES)}",
                        suite, str(rootfs), mirror,
                    ],
                    stdout=handle, stderr=subprocess.STDOUT, timeout=DEBOOTSTRAP_TIMEOUT_SECONDS,
                    check=False,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                raise ContainerError(
                    f"cannot make the stand-in base image: debootstrap {suite} from {mirror} "
                    f"took over {DEBOOTSTRAP_TIMEOUT_SECONDS}s (log: {log})"
                ) from None
        if result.returncode != 0:
            last = last_line(log.read_text(errors="replace"))
            raise ContainerError(
                f"cannot make the stand-in base image: the Debian archive {mirror} was not usable "
                f"by debootstrap {suite} ({last}; log: {log})"
            )
        shipped = (rootfs / "usr/bin/python3").resolve().name
        if shipped != f"python{python}":
            raise ContainerError(f"Debian {suite} installed {shipped}, not python{python}")
        _slim(rootfs)
        archive = ["tar", "-C", str(rootfs), "-c", "."]
        with subprocess.Popen(archive, stdout=subprocess.PIPE) as tar:  # noqa: S603
            podman("import", "-", rootfs_tag, stdin=tar.stdout)
        if tar.returncode != 0:
            raise ContainerError(f"tar of the debootstrapped root exited {tar.returncode}")
        context = Path(work) / "context"
        context.mkdir()
        (context / "Containerfile").write_text(BASE_CONTAINERFILE.format(rootfs=rootfs_tag))
        podman("build", "--isolation", "chroot", "--pull=never", "-t", tag, str(context),
               timeout=BUILD_TIMEOUT_SECONDS)  # fmt: skip


def _forget_other_recipes(current: str) -> None:
    """Untag stand-ins of older recipes (ours only); podman keeps what a service image uses."""
    key = current.rsplit(":", 1)[1]
    listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout
    for name in listed.split():
        repository, _, tag = name.rpartition(":")
        if repository in {BASE_REPOSITORY, ROOTFS_REPOSITORY} and tag != key:
            podman("rmi", name, check=False)


def _slim(rootfs: Path) -> None:
    for relative in SLIMMED:
        directory = rootfs / relative
        for child in directory.iterdir() if directory.is_dir() else ():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()


def build_service_image(tag: str = SERVICE_IMAGE, progress: Progress = _quiet) -> str:
    """Build the unmodified service/Dockerfile on the stand-in base; return the image's ID.

    Callers run the ID, not the tag: another checkout building at the same time may move the
    tag, never the ID. Layers are reused, so an unchanged build takes about a second.
    """
    ensure_base(progress)
    mounts = [f"--volume={path}:{path}:ro" for path in BUILD_MOUNTS if Path(path).exists()]
    progress(f"building {tag} from {DOCKERFILE.relative_to(ROOT)}")
    with tempfile.TemporaryDirectory(prefix="cors-safe-stack-build-") as work:
        id_file = Path(work) / "image-id"
        # --format docker keeps HEALTHCHECK (OCI images drop it); the build runs with chroot
        # isolation because the OCI runtime cannot run build steps here.
        result = podman(
            "build", "--pull=never", "--format", "docker", "--isolation", "chroot",
            "--network", "host", *mounts, f"--iidfile={id_file}", "-t", tag,
            "-f", str(DOCKERFILE), str(SERVICE_DIR),
            timeout=BUILD_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ContainerError(
                f"podman build of {DOCKERFILE.relative_to(ROOT)} failed: "
                f"{_build_failure(result.stdout + result.stderr)}"
            )
        return id_file.read_text().strip().removeprefix("sha256:")


@functools.cache
def built_service_image() -> str:
    """build_service_image() once per process: the test suites share one build."""
    return build_service_image()


def _build_failure(output: str) -> str:
    """The step that failed and the first line saying why (pip's ERROR or `pip check`)."""
    step = re.search(r'building at STEP "([^"]{0,80})', output)
    reason = re.search(
        r"^(ERROR: .*|.* which is not installed\.|.* has requirement .*)$", output, re.M
    )
    where = f'at "{step.group(1).strip()}..."' if step else ""
    why = reason.group(1)[:240] if reason else last_line(output)
    return f"{where} {why}".strip()


def image_config(tag: str, field: str) -> object:
    """A field of the image's config (Cmd, User, Healthcheck...), decoded from JSON."""
    shown = podman("image", "inspect", "--format", "{{json .Config." + field + "}}", tag).stdout
    return json.loads(shown)


def image_size(tag: str) -> int:
    return int(podman("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in (["base"], ["build"]):
        print("usage: python -m devstack.image base|build", file=sys.stderr)
        return 2

    def progress(message: str) -> None:
        print(f"[image] {message}", file=sys.stderr, flush=True)

    try:
        if args == ["base"]:
            ensure_base(progress)
        else:
            print(build_service_image(progress=progress))
    except ContainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
