"""Frontend deployment, cdk-nag (AwsSolutions) and cfn-lint over the one synthesized assembly."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from constructs import IConstruct

from cors_doctor.cli import find_output
from infra import csp
from infra.components.frontend_deployment import RUNTIME_CONFIG_API_KEY
from infra.nag import acknowledge, flatten_reference
from tests.infra.conftest import ROOT, Synth, dumps, only, resources
from tests.support.html import meta_policies


def _deployments(site: Template) -> dict[str, dict[str, Any]]:
    found = resources(site, "Custom::CDKBucketDeployment")
    assert len(found) == 2
    return found


def _cache_control(deployment: dict[str, Any]) -> str:
    value: str = deployment["Properties"]["SystemMetadata"]["cache-control"]
    return value


def _shipped(synth: Synth, deployment: dict[str, Any]) -> set[str]:
    """The files a deployment uploads: the staged contents of each of its source assets."""
    staged = synth.staged_files(synth.stacks.site)
    files: set[str] = set()
    for key in deployment["Properties"]["SourceObjectKeys"]:
        assert key in staged, f"source {key} is not an asset of the site stack"
        files |= staged[key]
    return files


def test_only_index_and_config_ship_no_cache_and_the_rest_ships_cacheable(synth, site):
    # Tied to the files each deployment really uploads, not to construct names: a file shipped
    # by the cacheable deployment would be (re-)uploaded with max-age on every deploy that
    # changes the other files, and served stale after the next one.
    by_cache: dict[str, set[str]] = {}
    for name, deployment in _deployments(site).items():
        cache = _cache_control(deployment)
        assert cache not in by_cache, f"{name} repeats cache-control {cache!r}"
        by_cache[cache] = _shipped(synth, deployment)
    assert by_cache.pop("no-cache") == {"index.html", "config.json"}
    ((cache, cacheable),) = by_cache.items()
    assert cache.startswith("public, max-age="), cache
    assert "app.js" in cacheable
    assert not cacheable & {"index.html", "config.json"}, sorted(cacheable)
    # Together they ship every source file once (a local config.json never ships).
    frontend = ROOT / "frontend"
    sources = {p.relative_to(frontend).as_posix() for p in frontend.rglob("*") if p.is_file()}
    assert cacheable | {"index.html"} == sources - {"config.json"}


def test_both_deployments_keep_each_others_files(site):
    for name, deployment in _deployments(site).items():
        assert deployment["Properties"]["Prune"] is False, name


def test_entry_and_config_are_no_cache_and_invalidate(synth, site, edge):
    deployments = _deployments(site)
    (entry,) = [d["Properties"] for d in deployments.values() if _cache_control(d) == "no-cache"]
    assert entry["DistributionPaths"] == ["/*"]
    assert "FrontendDistribution" in dumps(entry["DistributionId"])
    # The runtime config.json carries the API's stage URL (a reference to the backend stack).
    markers = dumps(entry["SourceMarkers"])
    assert "ApiRestApi" in markers or "CorsSafeBackend" in markers
    (assets,) = [d["Properties"] for d in deployments.values() if d["Properties"] is not entry]
    assert "no-cache" not in dumps(assets.get("SystemMetadata", {}))
    assert "DistributionId" not in assets


def test_deployed_index_html_lets_the_page_connect_only_to_its_own_api(synth, site, backend):
    # The header allows every REST API of the Region; the page's own policy names this API.
    deployments = _deployments(site)
    (entry,) = [d["Properties"] for d in deployments.values() if _cache_control(d) == "no-cache"]
    staged = synth.staged_files(synth.stacks.site)
    (position,) = [
        i for i, key in enumerate(entry["SourceObjectKeys"]) if staged[key] == {"index.html"}
    ]
    key = entry["SourceObjectKeys"][position]
    html = synth.staged_text(synth.stacks.site, key, "index.html")
    (policy,) = meta_policies(html)
    markers = entry["SourceMarkers"][position]
    (marker,) = [m for m in markers if m in policy]
    assert policy == csp.entry_policy(marker)
    # The marker becomes https://<this REST API's id>.execute-api.<region>.<suffix> at deploy.
    api_id, _ = only(backend, "AWS::ApiGateway::RestApi")
    (scheme, reference, *host) = markers[marker]["Fn::Join"][1]
    assert scheme == "https://"
    assert api_id in dumps(reference)
    assert host == [".execute-api.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]


def test_stacks_deploy_network_edge_backend_site_and_the_edge_needs_no_api(synth):
    # The edge (CloudFront and its CSP header) must deploy before the API, which needs the
    # site's origin; only the site stack may depend on the API (index.html's CSP, config.json).
    manifest = json.loads((synth.outdir / "manifest.json").read_text())
    names = {stack.artifact_id: key for key, stack in vars(synth.stacks).items()}
    depends = {
        names[artifact]: {names[d] for d in body.get("dependencies", []) if d in names}
        for artifact, body in manifest["artifacts"].items()
        if artifact in names
    }
    assert depends == {
        "network": set(),
        "edge": set(),
        "backend": {"network", "edge"},
        "site": {"edge", "backend"},
    }


def test_entry_deploys_after_assets(site):
    deployments = _deployments(site)
    dependent = [name for name, d in deployments.items() if d.get("DependsOn")]
    assert len(dependent) == 1
    others = set(deployments) - set(dependent)
    assert others <= set(deployments[dependent[0]]["DependsOn"])


def test_no_staged_frontend_asset_contains_a_local_config_json(synth):
    staged = [p for p in synth.outdir.glob("asset.*") if p.is_dir()]
    frontend = [p for p in staged if (p / "index.html").exists() or (p / "config.json").exists()]
    assert len(frontend) >= 2
    for directory in frontend:
        config = directory / "config.json"
        if config.exists():
            # Only the generated file may exist: alone, with the deploy-time API URL marker.
            assert sorted(p.name for p in directory.iterdir()) == ["config.json"]
            assert config.read_text().startswith(f'{{"{RUNTIME_CONFIG_API_KEY}":<<marker:')


def test_runtime_config_key_is_the_one_the_spa_reads():
    app_js = (ROOT / "frontend" / "app.js").read_text()
    assert f"config.{RUNTIME_CONFIG_API_KEY}" in app_js


def test_no_physical_names(synth):
    named = ("BucketName", "FunctionName", "ClusterName", "LoadBalancerName", "RoleName")
    for path in synth.template_files():
        template = json.loads(path.read_text())
        for name, resource in template["Resources"].items():
            for key in named:
                assert key not in resource.get("Properties", {}), f"{path.name}:{name}:{key}"


def test_cdk_nag_finds_nothing_unacknowledged(synth):
    # The report is checked, not only whether synth failed: failing synth on a warning is the
    # plugin's choice (cdk-nag 3.0.2 does; a later version need not). aws-cdk-lib writes the
    # report on every synth with a validation plugin, so it must exist and list no
    # unacknowledged violation of any severity. Acknowledged findings are omitted by cdk-nag,
    # or listed apart by CDK under "suppressedViolations".
    report = synth.outdir / "validation-report.json"
    assert report.is_file(), sorted(p.name for p in synth.outdir.iterdir())
    parsed = json.loads(report.read_text())
    assert parsed["title"] == "Validation Report"
    violations = [
        f"{plugin['pluginName']}: {v['severity']} {v['ruleName']} at "
        + ", ".join(c["constructPath"] for c in v["violatingConstructs"])
        for plugin in parsed["pluginReports"]
        for v in plugin["violations"]
    ]
    assert violations == []
    assert all(plugin["conclusion"] == "success" for plugin in parsed["pluginReports"])
    assert synth.synth_error is None


def _acknowledgements(root: IConstruct) -> Iterator[tuple[IConstruct, dict[str, Any]]]:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                yield construct, entry.data


def test_every_acknowledgement_targets_a_resource_and_has_a_reason(synth):
    ours = [
        (construct, rule, reason)
        for construct, data in _acknowledgements(synth.app)
        for rule, reason in data.items()
        if "AwsSolutions-" in rule
    ]
    assert len(ours) >= 10
    for construct, rule, reason in ours:
        assert not isinstance(construct, cdk.Stack | cdk.App), (construct.node.path, rule)
        assert isinstance(reason, str), rule
        assert len(reason) >= 20, (construct.node.path, rule)


def test_acknowledge_refuses_a_whole_stack():
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    with pytest.raises(ValueError, match="not on the stack"):
        acknowledge(stack, "AwsSolutions-S1", "a long enough reason for the test")


def test_cfn_lint_reports_nothing(synth):
    files = [str(p) for p in synth.template_files()]
    assert len(files) == 4
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--config-file",
            str(ROOT / ".cfnlintrc.yaml"),
            "--",
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("node", "flat"),
    [
        ({"Fn::Join": ["", [{"Fn::ImportValue": "Edge:Out"}, "/*"]]}, "Edge:Out/*"),
        ({"Fn::GetAtt": ["Bucket", "Arn"]}, "<Bucket.Arn>"),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::x"}, "arn:<AWS::Partition>:s3:::x"),
        ({"Ref": "AWS::Region"}, "<AWS::Region>"),
        ({"Fn::GetStackOutput": {"StackName": "E"}}, '{"Fn::GetStackOutput":{"StackName":"E"}}'),
    ],
)
def test_flatten_reference_matches_cdk_nag_finding_names(node, flat):
    assert flatten_reference(node) == flat


def test_smoke_check_finds_exactly_the_deployed_api_and_site_urls(synth):
    # `cdk deploy --outputs-file` writes {stack: {output: value}}; the smoke check must pick the
    # API and site outputs out of every output this app declares, unambiguously.
    outputs: dict[str, object] = {}
    for path in synth.template_files():
        declared = json.loads(path.read_text()).get("Outputs", {})
        outputs[path.name.removesuffix(".template.json")] = {
            name: f"value-of-{path.name}-{name}" for name in declared
        }
    api = find_output(outputs, "ApiUrl", "outputs.json")
    site = find_output(outputs, "SiteUrl", "outputs.json")
    assert api.endswith("-ApiUrl")
    assert "Backend" in api
    assert site.endswith("-SiteUrl")
    assert "Edge" in site
