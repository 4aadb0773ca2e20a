"""Wall-clock figures for the CDK app (prints a table; not a test).

Measures, in one run on this machine:
  * `python app.py` synthesizing this app (4 stacks + cdk-nag) into a temp CDK_OUTDIR,
  * the same for a one-bucket CDK app written to a temp dir (the floor: Python + jsii + node),
  * `pytest tests/infra -q` (one session synth, cdk-nag, cfn-lint, all template assertions).

Usage: .venv/bin/python benchmarks/synth_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def _env(outdir: Path, context: dict[str, object] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)
    return env


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per synth measurement")
    args = parser.parse_args()
    # The CLI passes cdk.json's context; give `python app.py` the same, as `cdk synth` would.
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    this_app: list[float] = []
    one_bucket: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "one_bucket.py").write_text(ONE_BUCKET_APP)
        for i in range(args.repeat):
            # Interleaved, so drift in machine load hits both sides alike.
            one_bucket.append(
                _timed([PYTHON, "one_bucket.py"], tmpdir, _env(tmpdir / f"ob{i}", None))
            )
            this_app.append(_timed([PYTHON, "app.py"], ROOT, _env(tmpdir / f"app{i}", context)))
        tests = _timed(
            [PYTHON, "-m", "pytest", "tests/infra", "-q", "-p", "no:cacheprovider"],
            ROOT,
            _env(tmpdir / "pytest"),
        )

    floor = statistics.median(one_bucket)
    synth = statistics.median(this_app)
    rows = [
        ("one-bucket app: python one_bucket.py", floor, one_bucket),
        ("this app: python app.py (4 stacks, cdk-nag)", synth, this_app),
        ("infra tests: pytest tests/infra -q", tests, [tests]),
    ]
    print(f"{'measurement':48} {'median s':>9}  runs (s)")
    for name, median, runs in rows:
        print(f"{name:48} {median:9.2f}  {', '.join(f'{r:.2f}' for r in runs)}")
    print()
    print(f"this app / one-bucket app   : {synth / floor:5.2f}x")
    print(f"infra tests / this app synth: {tests / synth:5.2f}x")
    print(f"this app minus the floor    : {synth - floor:5.2f} s")
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cpus)")


if __name__ == "__main__":
    main()
