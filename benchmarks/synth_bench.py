"""Wall-clock figures for the CDK app, and where its synth time goes (prints tables; not a test).

Measures, in one run on this machine, interleaved so that drift in machine load hits all alike:
  * `python app.py` synthesizing this app (4 stacks, cdk-nag) into a temp CDK_OUTDIR, against
    a one-bucket CDK app (the floor: Python, jsii, node, CDK's own synth), wall and CPU time;
  * the phases of both, each in a child process with time.perf_counter around `import aws_cdk`,
    the other imports, `App()`, the construct building and `app.synth()`, and the rest of the
    process's life (interpreter start, and node's exit); the parts of synth (CDK's built-in
    CloudFormation validation, cdk-nag, asset staging) come from variants with that part
    switched off, and CDK's own counters (CDK_PERF_COUNTERS_FILE);
  * `pytest tests/infra -q` (one session synth, cdk-nag, cfn-lint, every infra test).

Usage: .venv/bin/python -m benchmarks.synth_bench [--repeat N] [--no-tests] [-c app:KEY=VALUE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

ONE_BUCKET_APP = """\
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "OneBucket")
s3.Bucket(stack, "Bucket")
app.synth()
"""

# Variants of the phase probe: which app, and what is switched off. CDK's built-in CloudFormation
# validation is on by default (off with CDK_VALIDATION=false); asset staging is off with the
# aws:cdk:disable-asset-staging context key (which only SAM uses otherwise).
ONE, ONE_BARE, APP, APP_NO_NAG, APP_BARE, APP_NO_STAGING = (
    "one-bucket",
    "one-bucket, no validation",
    "app",
    "app, no cdk-nag",
    "app, no cdk-nag, no validation",
    "app, no asset staging",
)
VARIANTS: dict[str, dict[str, bool]] = {
    ONE: {"this": False, "nag": False, "validation": True, "staging": True},
    ONE_BARE: {"this": False, "nag": False, "validation": False, "staging": True},
    APP: {"this": True, "nag": True, "validation": True, "staging": True},
    APP_NO_NAG: {"this": True, "nag": False, "validation": True, "staging": True},
    APP_BARE: {"this": True, "nag": False, "validation": False, "staging": True},
    APP_NO_STAGING: {"this": True, "nag": True, "validation": True, "staging": False},
}
# CDK writes its counters only for a synth slower than this per stack; 0 makes it always write.
SLOW_SYNTH_CONTEXT = "@aws-cdk/core.slowSynthThreshold"


def _env(outdir: Path, context: dict[str, object] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.pop("CDK_CONTEXT_JSON", None)
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Run to completion: (wall s, CPU s of the process tree, stdout). Exits on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


# ---- the probe: runs in a child process (`python -m benchmarks.synth_bench --probe NAME`) ----


@contextmanager
def _counting_jsii_calls(counts: dict[str, int]) -> Iterator[Callable[[str], None]]:
    """Count the requests Python sends to the jsii kernel (node), per phase."""
    from jsii._kernel.providers import process

    original = process._NodeProcess.send
    phase = ["import aws_cdk"]

    def send(self: Any, request: Any, response_type: Any) -> Any:
        counts[phase[0]] = counts.get(phase[0], 0) + 1
        return original(self, request, response_type)

    process._NodeProcess.send = send  # type: ignore[method-assign]
    try:
        yield lambda name: phase.__setitem__(0, name)
    finally:
        process._NodeProcess.send = original  # type: ignore[method-assign]


def _probe(name: str) -> None:
    variant = VARIANTS[name]
    phases: dict[str, float] = {}
    calls: dict[str, int] = {}
    with _counting_jsii_calls(calls) as enter:
        mark = time.perf_counter()

        def lap(done: str, following: str) -> None:
            nonlocal mark
            now = time.perf_counter()
            phases[done] = now - mark
            mark = now
            enter(following)

        import aws_cdk as cdk

        lap("import aws_cdk", "other imports")
        if not variant["this"]:
            from aws_cdk import aws_s3 as s3

            lap("other imports", "App()")
            app = cdk.App()
            lap("App()", "build")
            s3.Bucket(cdk.Stack(app, "OneBucket"), "Bucket")
        else:
            from cdk_nag import AwsSolutionsChecks

            from infra.config import AppConfig
            from infra.stacks import build

            lap("other imports", "App()")
            app = cdk.App()
            config = AppConfig.from_context(app.node.get_all_context())
            lap("App()", "build")
            build(app, config)
            if variant["nag"]:
                cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
        lap("build", "synth")
        app.synth()
        lap("synth", "exit")
    print(json.dumps({"phases": phases, "calls": calls}))


def _probe_env(
    name: str, outdir: Path, context: dict[str, object], counters: Path
) -> dict[str, str]:
    variant = VARIANTS[name]
    probe_context = dict(context) if variant["this"] else {}
    probe_context[SLOW_SYNTH_CONTEXT] = 0
    if not variant["staging"]:
        probe_context["aws:cdk:disable-asset-staging"] = True
    env = _env(outdir, probe_context)
    env["CDK_PERF_COUNTERS_FILE"] = str(counters)
    if not variant["validation"]:
        env["CDK_VALIDATION"] = "false"
    return env


def _measure(name: str, tmpdir: Path, context: dict[str, object]) -> dict[str, Any]:
    counters = tmpdir / f"counters-{time.monotonic_ns()}.json"
    env = _probe_env(name, tmpdir / f"probe-{time.monotonic_ns()}", context, counters)
    command = [PYTHON, "-m", "benchmarks.synth_bench", "--probe", name]
    wall, cpu, out = _run(command, ROOT, env)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    # Interpreter start before the first timer, and node's exit after the last (jsii waits).
    result["phases"]["process start and exit"] = wall - sum(result["phases"].values())
    result.update(wall=wall, cpu=cpu, counters={})
    if counters.exists():
        result["counters"] = json.loads(counters.read_text())["counters"]
    return result


# ---- the report ---------------------------------------------------------------------------


def _row(name: str, one: float | None, this: float | None, note: str = "") -> str:
    def cell(value: float | None) -> str:
        return f"{value:10.2f}" if value is not None else f"{'':10}"

    diff = this - one if this is not None and one is not None else None
    return f"{name:56} {cell(one)} {cell(this)} {cell(diff)}  {note}".rstrip()


def _phase_report(runs: dict[str, list[dict[str, Any]]]) -> None:
    def med(name: str, pick: Callable[[dict[str, Any]], float]) -> float:
        return statistics.median(pick(r) for r in runs[name])

    def phase(name: str, key: str) -> float:
        return med(name, lambda r: r["phases"][key])

    def counter(name: str, key: str) -> float:
        return med(name, lambda r: r["counters"].get(key, 0) / 1000)

    def cpu(name: str) -> float:
        return med(name, lambda r: r["cpu"])

    def calls(name: str, key: str) -> str:
        return f"{med(name, lambda r: r['calls'].get(key, 0)):.0f}"

    def validation(with_it: str, without: str) -> tuple[float, float]:
        """(in synth, at exit): what CDK's built-in validation adds to each."""
        synth = phase(with_it, "synth") - phase(without, "synth")
        at_exit = phase(with_it, "process start and exit") - phase(
            without, "process start and exit"
        )
        return synth, at_exit

    one_synth, one_exit = validation(ONE, ONE_BARE)
    app_synth, app_exit = validation(APP_NO_NAG, APP_BARE)
    print(f"{'where the time goes (median seconds)':56} {'one-bucket':>10} {'this app':>10} "
          f"{'difference':>10}")  # fmt: skip
    rows = [
        _row("import aws_cdk (jsii kernel start, aws-cdk-lib load)",
             phase(ONE, "import aws_cdk"), phase(APP, "import aws_cdk")),
        _row("other imports (aws_cdk.* bindings; cdk-nag, infra)",
             phase(ONE, "other imports"), phase(APP, "other imports")),
        _row("App() (and the config)", phase(ONE, "App()"), phase(APP, "App()")),
        _row("construct building", phase(ONE, "build"), phase(APP, "build"),
             f"jsii calls: {calls(ONE, 'build')} / {calls(APP, 'build')}"),
        _row("  of which asset staging (copies into cdk.out)", None,
             phase(APP, "build") - phase(APP_NO_STAGING, "build"),
             "building with - without staging"),
        _row("app.synth()", phase(ONE, "synth"), phase(APP, "synth")),
        _row("  of which built-in CloudFormation validation", one_synth, app_synth,
             "synth with - without CDK_VALIDATION=false"),
        _row("    of which validating the templates",
             counter(ONE, "CloudFormationValidate.validate"),
             counter(APP, "CloudFormationValidate.validate"),
             "CDK's counter; the rest is the engine's start-up"),
        _row("  of which cdk-nag (AwsSolutions)", None,
             phase(APP, "synth") - phase(APP_NO_NAG, "synth"), "synth with - without cdk-nag"),
        _row("  of which resolving and writing templates, manifests",
             phase(ONE_BARE, "synth"), phase(APP_BARE, "synth"),
             "synth without validation or cdk-nag"),
        _row("process start and exit", phase(ONE, "process start and exit"),
             phase(APP, "process start and exit"), "python's start; node's exit, jsii waits"),
        _row("  of which node finishing the validator's compiles", one_exit, app_exit,
             "V8 compiles the engine's hot WebAssembly in the background"),
        _row("whole process, wall", med(ONE, lambda r: r["wall"]), med(APP, lambda r: r["wall"])),
        _row("whole process, CPU (python, node, all threads)", cpu(ONE), cpu(APP)),
        _row("  of which built-in validation", cpu(ONE) - cpu(ONE_BARE),
             cpu(APP_NO_NAG) - cpu(APP_BARE), "CPU with - without CDK_VALIDATION=false"),
    ]  # fmt: skip
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--no-tests", action="store_true", help="skip the infra test suite")
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for this app's runs, as `cdk synth -c` takes it (e.g. app:apiDocs=true)",
    )
    parser.add_argument("--probe", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        _probe(args.probe)
        return
    # The CLI passes cdk.json's context (and -c values); give `python app.py` the same.
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    for item in args.context:
        key, _, value = item.partition("=")
        context[key] = value
    this_app: list[tuple[float, float]] = []
    one_bucket: list[tuple[float, float]] = []
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "one_bucket.py").write_text(ONE_BUCKET_APP)
        for i in range(args.repeat):
            # Interleaved, so drift in machine load hits every measurement alike.
            wall, cpu, _ = _run([PYTHON, "one_bucket.py"], tmpdir, _env(tmpdir / f"ob{i}"))
            one_bucket.append((wall, cpu))
            wall, cpu, _ = _run([PYTHON, "app.py"], ROOT, _env(tmpdir / f"app{i}", context))
            this_app.append((wall, cpu))
            for name in VARIANTS:
                runs[name].append(_measure(name, tmpdir, context))
        tests = tests_cpu = None
        if not args.no_tests:
            tests, tests_cpu, _ = _run(
                [PYTHON, "-m", "pytest", "tests/infra", "-q", "-p", "no:cacheprovider"],
                ROOT,
                _env(tmpdir / "pytest"),
            )

    floor, floor_cpu = (statistics.median(r[i] for r in one_bucket) for i in (0, 1))
    synth, synth_cpu = (statistics.median(r[i] for r in this_app) for i in (0, 1))
    settings = " ".join(args.context) or "default config"
    print(f"{'measurement':50} {'median s':>9} {'CPU s':>7}  runs (s)")
    for name, median, cpu, results in (
        ("one-bucket app: python one_bucket.py", floor, floor_cpu, one_bucket),
        (f"this app: python app.py ({settings})", synth, synth_cpu, this_app),
    ):
        walls = ", ".join(f"{r[0]:.2f}" for r in results)
        print(f"{name:50} {median:9.2f} {cpu:7.2f}  {walls}")
    if tests is not None and tests_cpu is not None:
        print(f"{'infra tests: pytest tests/infra -q':50} {tests:9.2f} {tests_cpu:7.2f}")
    print()
    print(f"this app / one-bucket app   : {synth / floor:5.2f}x wall, "
          f"{synth_cpu / floor_cpu:5.2f}x CPU")  # fmt: skip
    if tests is not None:
        print(f"infra tests / this app synth: {tests / synth:5.2f}x")
    print(f"this app minus the floor    : {synth - floor:5.2f} s")
    print()
    _phase_report(runs)
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cpus, {args.repeat} runs each; "
          f"load average {os.getloadavg()[0]:.1f} at the end)")  # fmt: skip


if __name__ == "__main__":
    main()
