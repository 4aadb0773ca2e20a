"""checkov over every synthesized template: no failed check, and every skip is a real one.

checkov lives in its own virtualenv (.venv-checkov, made by `scripts/setup.sh --test`): it
pins packaging<24, which the test tools cannot share.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import aws_cdk as cdk
import pytest

from infra import checkov
from tests.infra.conftest import ROOT, Synth, cdk_json_context, synthesize

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CUSTOM_DOMAIN: dict[str, object] = {
    "app:siteDomainName": "app.example.com",
    "app:siteCertificateArn": (
        "arn:aws:acm:us-east-1:000000000000:certificate/12345678-1234-1234-1234-000000000000"
    ),
}

# (template file name, logical id, check id)
Finding = tuple[str, str, str]


def checkov_binary() -> Path:
    if not CHECKOV.is_file():
        pytest.fail(f"{CHECKOV} is missing: run `scripts/setup.sh --test` to install checkov")
    return CHECKOV


def run_checkov(files: list[Path]) -> dict[str, set[Finding]]:
    """checkov's failed and skipped checks over `files` (no network: --skip-download).

    Not --quiet: it leaves the skipped checks out of the report.
    """
    result = subprocess.run(
        [
            str(checkov_binary()),
            "--framework",
            "cloudformation",
            "--compact",
            "--skip-download",
            "-o",
            "json",
            "-f",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Exit 1 means "checks failed"; anything else (or no JSON) is checkov itself failing.
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    found: dict[str, set[Finding]] = {"failed": set(), "skipped": set()}
    for report in reports if isinstance(reports, list) else [reports]:
        if "results" not in report:  # nothing to check: checkov prints only a summary
            continue
        for kind in found:
            for check in report["results"].get(f"{kind}_checks", []):
                logical_id = check["resource"].split(".", 1)[1]
                found[kind].add((Path(check["file_path"]).name, logical_id, check["check_id"]))
    return found


def declared_skips(files: list[Path]) -> dict[Finding, str]:
    """Every skip written into the templates' Metadata, with its comment."""
    skips: dict[Finding, str] = {}
    for path in files:
        for logical_id, resource in json.loads(path.read_text())["Resources"].items():
            for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                skips[(path.name, logical_id, entry["id"])] = entry.get("comment", "")
    return skips


def without_skips(files: list[Path], into: Path) -> list[Path]:
    """Copies of `files` with every checkov skip removed, to see what each skip hides."""
    into.mkdir()
    copies = []
    for path in files:
        template = json.loads(path.read_text())
        for resource in template["Resources"].values():
            resource.get("Metadata", {}).pop("checkov", None)
        copy = into / path.name
        copy.write_text(json.dumps(template))
        copies.append(copy)
    return copies


class Scan:
    def __init__(self, synth: Synth, workdir: Path) -> None:
        self.files = synth.template_files()
        self.skips = declared_skips(self.files)
        self.found = run_checkov(self.files)
        self.unskipped = run_checkov(without_skips(self.files, workdir / "unskipped"))


# Every setting that adds or changes resources, at once; CloudFront's web ACL needs us-east-1.
EVERYTHING = {
    **CUSTOM_DOMAIN,
    "app:kms": True,
    "app:waf": True,
    "app:cloudFrontWaf": True,
    "app:alarmEmail": "ops@example.com",
    "app:envName": "prod",
}
VARIANTS: dict[str, tuple[dict[str, object], str | None]] = {
    "kms": ({"app:kms": True}, None),
    "custom-domain": (CUSTOM_DOMAIN, None),
    "everything": (EVERYTHING, "us-east-1"),
    "http-api": (
        {"app:ingress": "http-api", "app:kms": True, "app:taskEgress": "public-ip"},
        None,
    ),
    "rest-alb": ({"app:ingress": "rest-alb", "app:waf": True}, None),
    "same-origin": ({"app:ingress": "same-origin", "app:kms": True}, None),
    "lambda-rest": ({"app:compute": "lambda", "app:waf": True, "app:kms": True}, None),
    "lambda-http-api": ({"app:compute": "lambda", "app:ingress": "http-api"}, None),
    "public-alb": (
        {
            "app:ingress": "public-alb",
            "app:apiDomainName": "api.example.com",
            "app:apiCertificateArn": (
                "arn:aws:acm:eu-west-1:000000000000:certificate/12345678-1234-1234-1234-000000000000"
            ),
            "app:waf": True,
        },
        None,
    ),
}


@pytest.fixture(scope="module", params=["default", *VARIANTS])
def scan(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scan:
    workdir = tmp_path_factory.mktemp(f"checkov-{request.param}")
    if request.param == "default":
        synth: Synth = request.getfixturevalue("synth")
    else:
        extra, region = VARIANTS[request.param]
        synth = synthesize(workdir / "cdk.out", {**cdk_json_context(), **extra}, region=region)
        assert synth.synth_error is None, synth.synth_error
    return Scan(synth, workdir)


def test_checkov_finds_no_failed_check(scan: Scan) -> None:
    # Four stacks; three with compute=lambda, which has no Network stack.
    assert len(scan.files) in (3, 4)
    assert sorted(scan.found["failed"]) == []


def test_every_skip_gives_a_reason(scan: Scan) -> None:
    assert scan.skips
    short = {finding: comment for finding, comment in scan.skips.items() if len(comment) < 20}
    assert short == {}


def test_every_skip_is_one_checkov_applies_to_that_resource(scan: Scan) -> None:
    # A skip checkov does not report is a typo'd id or a check for another resource type.
    assert set(scan.skips) == scan.found["skipped"]


def test_every_skip_hides_a_check_that_would_fail(scan: Scan) -> None:
    # Without the skips exactly the skipped checks fail: none skips a check that passes anyway.
    assert scan.unskipped["failed"] == set(scan.skips)


def test_skip_refuses_a_whole_stack() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ValueError, match="not on the stack S"):
        checkov.skip(stack, "CKV_AWS_18", "a long enough reason for the test")


def test_skip_refuses_a_short_reason() -> None:
    bucket = cdk.aws_s3.Bucket(cdk.Stack(cdk.App(), "S"), "B")
    with pytest.raises(ValueError, match="give a real reason"):
        checkov.skip(bucket, "CKV_AWS_18", "because")


def test_skip_refuses_what_is_not_a_check_id() -> None:
    bucket = cdk.aws_s3.Bucket(cdk.Stack(cdk.App(), "S"), "B")
    with pytest.raises(ValueError, match="not a checkov check id"):
        checkov.skip(bucket, "AwsSolutions-S1", "a long enough reason for the test")


def test_skips_on_one_resource_are_merged_and_keep_other_metadata() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    bucket = cdk.aws_s3.Bucket(stack, "B")
    resource = bucket.node.default_child
    assert isinstance(resource, cdk.CfnResource)
    resource.add_metadata("checkov", {"other": 1})
    checkov.skip(bucket, "CKV_AWS_18", "first reason, long enough")
    checkov.skip(resource, "CKV_AWS_21", "second reason, long enough")
    checkov.skip(bucket, "CKV_AWS_18", "first reason, said again")
    assert resource.get_metadata("checkov") == {
        "other": 1,
        "skip": [
            {"id": "CKV_AWS_21", "comment": "second reason, long enough"},
            {"id": "CKV_AWS_18", "comment": "first reason, said again"},
        ],
    }


def test_checkov_helper_fails_when_checkov_is_not_installed(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(f"{__name__}.CHECKOV", tmp_path / "checkov")
    with pytest.raises(pytest.fail.Exception, match=r"scripts/setup\.sh --test"):
        checkov_binary()


def test_readme_lists_every_skipped_check(scan: Scan) -> None:
    text = (ROOT / "README.md").read_text()
    table = text.split("<!-- checkov-skips -->")[1].split("<!-- /checkov-skips -->")[0]
    missing = {check_id for _, _, check_id in scan.skips if check_id not in table}
    assert missing == set()
