"""FrontendDeployment on a bare stack: what ships, how it is cached, and the rendered entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Capture, Match, Template

from infra import csp
from infra.components.frontend import ENTRY_FILE
from infra.components.frontend_deployment import (
    RUNTIME_CONFIG_API_KEY,
    RUNTIME_CONFIG_FILE,
    FrontendDeployment,
)
from tests.infra.conftest import ROOT
from tests.infra.templates import bare_stack, logical_id, ref, staged_files, staged_text
from tests.support.html import meta_policies

DEPLOYMENT = "Custom::CDKBucketDeployment"
NO_CACHE = {"SystemMetadata": {"cache-control": "no-cache"}}
CACHEABLE = {"SystemMetadata": {"cache-control": "public, max-age=300"}}
DISTRIBUTION_ID = "E2EXAMPLE"
# The SPA's files, with a locally generated config.json (pointing at a dev API) that must never
# ship: only the generated one may.
SOURCES = {
    ENTRY_FILE: f"<html><head>{csp.ENTRY_META_PLACEHOLDER}</head></html>\n",
    "app.js": "fetch('config.json');\n",
    "css/style.css": "body {}\n",
    RUNTIME_CONFIG_FILE: '{"apiUrl": "http://localhost:8000/"}\n',
}


@dataclass
class Deployed:
    stack: cdk.Stack
    template: Template
    outdir: Path
    api_origin: str
    api_url: str

    def shipped(self, properties: dict[str, object]) -> set[str]:
        """The files the deployment matching `properties` uploads (its staged source assets)."""
        keys = Capture()
        self.template.has_resource_properties(DEPLOYMENT, {**properties, "SourceObjectKeys": keys})
        staged = staged_files(self.outdir, self.stack)
        files: set[str] = set()
        for key in keys.as_array():
            assert key in staged, f"source {key} is not an asset of the stack"
            files |= staged[key]
        return files

    def entry_source(self, name: str) -> tuple[str, str]:
        """(staged text, marker -> deploy-time value) of one file the no-cache deployment ships."""
        keys, markers = Capture(), Capture()
        self.template.has_resource_properties(
            DEPLOYMENT, {**NO_CACHE, "SourceObjectKeys": keys, "SourceMarkers": markers}
        )
        staged = staged_files(self.outdir, self.stack)
        (position,) = [i for i, key in enumerate(keys.as_array()) if staged[key] == {name}]
        text = staged_text(self.outdir, self.stack, keys.as_array()[position], name)
        return text, markers.as_array()[position]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    source = tmp_path_factory.mktemp("frontend")
    for name, text in SOURCES.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text, encoding="utf-8")
    outdir = tmp_path_factory.mktemp("cdk.out")
    stack = bare_stack(outdir)
    # Deploy-time values, as the API's are: BucketDeployment substitutes them.
    api_id = cdk.CfnParameter(stack, "ApiId").value_as_string
    api_origin = cdk.Fn.join(
        "", ["https://", api_id, ".execute-api.", cdk.Aws.REGION, ".", cdk.Aws.URL_SUFFIX]
    )
    api_url = cdk.Fn.join("", [api_origin, "/v1"])
    distribution = cloudfront.Distribution.from_distribution_attributes(
        stack, "Cdn", distribution_id=DISTRIBUTION_ID, domain_name="d111111abcdef8.cloudfront.net"
    )
    FrontendDeployment(
        stack,
        "Deployment",
        bucket=s3.Bucket(stack, "Site"),
        distribution=distribution,
        source_dir=source,
        api_url=api_url,
        api_origin=api_origin,
    )
    return Deployed(stack, Template.from_stack(stack), outdir, api_origin, api_url)


def test_two_deployments_upload_into_the_site_bucket(deployed):
    bucket = logical_id(deployed.stack.node.find_child("Site"))
    deployed.template.resource_count_is(DEPLOYMENT, 2)
    deployed.template.all_resources_properties(DEPLOYMENT, {"DestinationBucketName": ref(bucket)})


def test_only_the_entry_and_the_runtime_config_ship_uncached(deployed):
    deployed.template.resource_properties_count_is(DEPLOYMENT, NO_CACHE, 1)
    assert deployed.shipped(NO_CACHE) == {ENTRY_FILE, RUNTIME_CONFIG_FILE}


def test_every_other_file_ships_cacheable_and_exactly_once(deployed):
    # A file shipped by the cacheable deployment would be (re-)uploaded with max-age on every
    # deploy that changes the other files, and served stale after the next one.
    deployed.template.resource_properties_count_is(DEPLOYMENT, CACHEABLE, 1)
    cacheable = deployed.shipped(CACHEABLE)
    assert cacheable == set(SOURCES) - {ENTRY_FILE, RUNTIME_CONFIG_FILE}


def test_a_local_config_json_never_ships(deployed):
    config, _ = deployed.entry_source(RUNTIME_CONFIG_FILE)
    assert "localhost" not in config
    assert RUNTIME_CONFIG_FILE not in deployed.shipped(CACHEABLE)


def test_the_runtime_config_holds_the_api_url_known_at_deploy_time(deployed):
    config, markers = deployed.entry_source(RUNTIME_CONFIG_FILE)
    (marker,) = markers
    assert json.loads(config.replace(marker, '"marker"')) == {RUNTIME_CONFIG_API_KEY: "marker"}
    quoted = cdk.Fn.join("", ['"', deployed.api_url, '"'])
    assert markers[marker] == deployed.stack.resolve(quoted)


def test_the_deployed_entry_may_connect_only_to_its_own_origin_and_the_api(deployed):
    html, markers = deployed.entry_source(ENTRY_FILE)
    (marker,) = markers
    assert meta_policies(html) == [csp.entry_policy(marker)]
    assert markers[marker] == deployed.stack.resolve(deployed.api_origin)


def test_the_entry_deployment_invalidates_the_whole_distribution(deployed):
    deployed.template.has_resource_properties(
        DEPLOYMENT, {**NO_CACHE, "DistributionId": DISTRIBUTION_ID, "DistributionPaths": ["/*"]}
    )
    deployed.template.resource_properties_count_is(
        DEPLOYMENT, {"DistributionId": Match.any_value()}, 1
    )


def test_the_deployments_keep_each_others_files(deployed):
    deployed.template.all_resources_properties(DEPLOYMENT, {"Prune": False})


def test_the_entry_deploys_after_the_assets_it_references(deployed):
    assets = deployed.template.get_resource_id(DEPLOYMENT, {"Properties": CACHEABLE})
    deployed.template.has_resource(
        DEPLOYMENT, {"Properties": NO_CACHE, "DependsOn": Match.array_with([assets])}
    )


def test_the_runtime_config_key_is_the_one_the_spa_reads():
    app_js = (ROOT / "frontend" / "app.js").read_text()
    assert f"config.{RUNTIME_CONFIG_API_KEY}" in app_js
