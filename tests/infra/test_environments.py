"""Environments: `app:envName` names the stacks, tags every resource and picks a settings block.

Two environments synthesize side by side in one App (and so deploy side by side in one
account) without sharing a stack name or a fixed physical name; no name, no tags, the stack
names of before: an existing deployment is untouched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # type: ignore[import-untyped]

from infra.config import AppConfig, ConfigError
from infra.config.app_config import settings_index
from infra.config.environment import ENVIRONMENTS, PROJECT, EnvironmentSettings
from infra.stacks import Stacks, build
from tests.infra.conftest import Synth, cdk_json_context
from tests.infra.conftest import run_app as _run_app
from tests.infra.templates import cfn_lint_output

PARTS = ("Network", "Edge", "Backend", "Site")
# CloudFormation: a stack name starts with a letter; letters, digits and hyphens; 128 at most.
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
BLOCKS = {
    "dev": {"app:desiredCount": 1, "app:minCapacity": 1, "app:logRetentionDays": 7},
    "prod": {"app:natGateways": 2},
}


def _config(**context: Any) -> AppConfig:
    return AppConfig.from_context({ENVIRONMENTS: BLOCKS, **context})


# ---- names -----------------------------------------------------------------------------------


def test_without_a_name_the_stacks_keep_the_names_they_had():
    names = [EnvironmentSettings().stack_name(part) for part in PARTS]
    assert names == ["CorsSafeNetwork", "CorsSafeEdge", "CorsSafeBackend", "CorsSafeSite"]


def test_a_name_goes_into_every_stack_name():
    names = [EnvironmentSettings(name="dev").stack_name(part) for part in PARTS]
    assert names == [f"CorsSafe-dev-{part}" for part in PARTS]


def test_the_longest_name_still_makes_valid_stack_names():
    settings = EnvironmentSettings(name="a" * 15 + "1")
    for part in PARTS:
        assert STACK_NAME.fullmatch(settings.stack_name(part))


def test_the_default_synth_keeps_the_stack_names_and_adds_no_tags(synth: Synth):
    # What an existing deployment sees when it upgrades without choosing a name: nothing new.
    assert [s.stack_name for s in synth.stacks.all()] == [f"CorsSafe{part}" for part in PARTS]
    for stack in synth.stacks.all():
        assert stack.tags.tag_values() == {}
        for name, resource in synth.raw(stack)["Resources"].items():
            keys = {tag.get("Key") for tag in _tags(resource)}
            assert not keys & {"environment", "project"}, name


# ---- blocks and precedence -------------------------------------------------------------------


def test_the_named_block_applies():
    tasks = _config(**{"app:envName": "dev"}).tasks
    assert (tasks.desired_count, tasks.min_capacity) == (1, 1)


def test_another_environment_s_block_does_not_apply():
    config = _config(**{"app:envName": "prod"})
    assert config.network.nat_gateways == 2
    assert (config.tasks.desired_count, config.logs.retention_days) == (2, 30)


def test_without_a_name_no_block_applies():
    config = _config()
    assert config.environment.name is None
    assert (config.tasks.desired_count, config.network.nat_gateways) == (2, 1)


def test_a_top_level_key_wins_over_the_block():
    # `-c app:desiredCount=2` and a top-level key in cdk.json look the same to the app.
    config = _config(**{"app:envName": "dev", "app:desiredCount": "2"})
    assert (config.tasks.desired_count, config.tasks.min_capacity) == (2, 1)


def test_a_top_level_key_applies_to_any_environment():
    config = _config(**{"app:envName": "prod", "app:logRetentionDays": 90})
    assert (config.logs.retention_days, config.network.nat_gateways) == (90, 2)


# ---- one line for every mistake --------------------------------------------------------------

BAD = [
    (
        {"app:envName": "staging"},
        "app:envName=staging: unknown environment; known: dev, prod (the blocks of "
        "app:environments in cdk.json)",
    ),
    (
        {"app:envName": "dev", ENVIRONMENTS: None},
        "app:envName=dev: unknown environment; known: none",
    ),
    ({"app:envName": "Dev"}, "app:envName=Dev: must be 1-16 lower-case letters, digits"),
    ({"app:envName": "-dev"}, "app:envName=-dev: must be 1-16"),
    ({"app:envName": "dev-"}, "app:envName=dev-: must be 1-16"),
    ({"app:envName": "dev_1"}, "app:envName=dev_1: must be 1-16"),
    ({"app:envName": "a" * 17}, f"app:envName={'a' * 17}: must be 1-16"),
    (
        {ENVIRONMENTS: {"dev": {"app:desiredCont": 1}}},
        "app:environments.dev: app:desiredCont=1: unknown setting; known: ",
    ),
    (
        # Not the chosen one: every block is checked on every synth (CI synthesizes none).
        {"app:envName": "dev", ENVIRONMENTS: {**BLOCKS, "prod": {"app:natGateways": 3}}},
        "app:environments.prod: app:natGateways=3: must be 1..2",
    ),
    (
        {ENVIRONMENTS: {"dev": {"desiredCount": 1}}},
        "app:environments.dev: desiredCount: did you mean app:desiredCount?",
    ),
    (
        {ENVIRONMENTS: {"dev": {"app:desiredCount": "one"}}},
        "app:environments.dev: app:desiredCount=one: must be a whole number",
    ),
    (
        # A relation broken by the block's value: the other value's key names the block.
        {"app:envName": "dev", ENVIRONMENTS: {"dev": {"app:minCapacity": 5}}},
        "app:maxCapacity=4: must be >= minCapacity (5) (with app:environments.dev)",
    ),
    (
        {ENVIRONMENTS: {"dev": {"app:envName": "prod"}}},
        "app:environments.dev: app:envName cannot be set in a block; it chooses the block",
    ),
    ({ENVIRONMENTS: {"Dev": {}}}, "app:environments.Dev: an environment's name must be"),
    ({ENVIRONMENTS: {"dev": 1}}, "app:environments.dev=1: must be an object of app: settings"),
    ({ENVIRONMENTS: "dev"}, "app:environments=dev: must be an object of environment blocks"),
    ({"environments": {}}, "environments: did you mean app:environments?"),
    ({"app:envname": "dev"}, "app:envname: did you mean app:envName?"),
]


@pytest.mark.parametrize(("context", "start"), BAD, ids=[b[1][:60] for b in BAD])
def test_a_mistake_is_one_line_naming_the_key(context, start):
    with pytest.raises(ConfigError) as caught:
        _config(**context)
    message = str(caught.value)
    assert message.startswith(start)
    assert "\n" not in message


def test_a_maxcapacity_in_a_block_is_blamed_on_the_block_not_the_default():
    # The bad value itself came from the block: the message must say which one.
    with pytest.raises(ConfigError) as caught:
        _config(**{"app:envName": "dev", ENVIRONMENTS: {"dev": {"app:maxCapacity": 1}}})
    assert str(caught.value).startswith("app:environments.dev: app:maxCapacity=1:")


@pytest.mark.parametrize(
    ("context", "line"),
    [
        (
            {"app:envName": "qa"},
            "error: app:envName=qa: unknown environment; known: dev, prod (the blocks of "
            "app:environments in cdk.json)",
        ),
        ({"app:envName": "Prod"}, "error: app:envName=Prod: must be 1-16 lower-case letters"),
        (
            {ENVIRONMENTS: {"dev": {"app:natGateway": 2}}},
            "error: app:environments.dev: app:natGateway=2: unknown setting",
        ),
    ],
)
def test_app_py_stops_with_one_line(tmp_path, context, line):
    # app.py gets no cdk.json from the CLI here: hand it the same context.
    result = _run_app({**cdk_json_context(), **context}, tmp_path)
    assert result.returncode == 1
    errors = [row for row in result.stderr.splitlines() if row.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(line)
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


# ---- the blocks in cdk.json ------------------------------------------------------------------


def _cdk_json_blocks() -> dict[str, dict[str, Any]]:
    blocks: dict[str, dict[str, Any]] = cdk_json_context()[ENVIRONMENTS]
    return blocks


def test_cdk_json_has_a_dev_and_a_prod_block_and_each_builds():
    context = cdk_json_context()
    assert set(_cdk_json_blocks()) == {"dev", "prod"}
    for env in _cdk_json_blocks():
        assert AppConfig.from_context({**context, "app:envName": env}).environment.name == env


def test_cdk_json_blocks_hold_only_values_that_differ_from_the_defaults():
    index = settings_index()
    for env, block in _cdk_json_blocks().items():
        for key, raw in block.items():
            _, entry = index[key]
            assert entry.parse(key, raw) != entry.default, f"{env}: {key} repeats its default"


def test_dev_is_cheaper_and_prod_is_no_weaker_than_the_defaults():
    context = cdk_json_context()
    default = AppConfig.from_context(context)
    dev = AppConfig.from_context({**context, "app:envName": "dev"})
    prod = AppConfig.from_context({**context, "app:envName": "prod"})
    assert dev.tasks.min_capacity < default.tasks.min_capacity
    assert dev.logs.retention_days < default.logs.retention_days
    assert prod.network.nat_gateways > default.network.nat_gateways
    assert prod.tasks.min_capacity >= default.tasks.min_capacity
    assert prod.logs.retention_days >= default.logs.retention_days
    # Closed by default even in dev: what a team runs anywhere stays what it ships.
    assert dev.service == prod.service == default.service


# ---- two environments side by side -----------------------------------------------------------


@dataclass
class SideBySide:
    outdir: Path
    stacks: dict[str, Stacks]
    error: str | None

    def templates(self, env: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for stack in self.stacks[env].all():
            path = self.outdir / f"{stack.artifact_id}.template.json"
            yield stack.stack_name, json.loads(path.read_text())


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory: pytest.TempPathFactory) -> SideBySide:
    context = cdk_json_context()
    outdir = tmp_path_factory.mktemp("two-envs")
    app = cdk.App(outdir=str(outdir), context=context)
    stacks = {
        env: build(app, AppConfig.from_context({**context, "app:envName": env}))
        for env in ("dev", "prod")
    }
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    error = None
    try:
        app.synth()
    except RuntimeError as exc:
        error = str(exc)
    return SideBySide(outdir=outdir, stacks=stacks, error=error)


def test_two_environments_synthesize_in_one_app_with_distinct_stack_names(side_by_side):
    assert side_by_side.error is None
    names = [s.stack_name for env in ("dev", "prod") for s in side_by_side.stacks[env].all()]
    assert names == [f"CorsSafe-{env}-{part}" for env in ("dev", "prod") for part in PARTS]


def test_cfn_lint_passes_every_template_of_both_environments(side_by_side):
    assert cfn_lint_output(side_by_side.outdir.glob("*.template.json")) is None


def test_each_environment_s_settings_reach_its_own_stacks(side_by_side):
    def nat_gateways(env: str) -> int:
        templates = dict(side_by_side.templates(env))
        network = templates[f"CorsSafe-{env}-Network"]["Resources"].values()
        return sum(r["Type"] == "AWS::EC2::NatGateway" for r in network)

    assert (nat_gateways("dev"), nat_gateways("prod")) == (1, 2)


def test_every_stack_carries_its_environment_s_tags(side_by_side):
    manifest = json.loads((side_by_side.outdir / "manifest.json").read_text())
    for env, stacks in side_by_side.stacks.items():
        for stack in stacks.all():
            tags = manifest["artifacts"][stack.artifact_id]["properties"]["tags"]
            assert tags == {"environment": env, "project": PROJECT}


def _tags(resource: dict[str, Any]) -> list[dict[str, Any]]:
    tags = resource.get("Properties", {}).get("Tags", [])
    return tags if isinstance(tags, list) else [{"Key": k, "Value": v} for k, v in tags.items()]


def _taggable(type_: str) -> bool:
    if not type_.startswith("AWS::"):
        return False
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_).schema
    return bool(schema.get("tagging", {}).get("taggable")) and "Tags" in schema["properties"]


def test_every_taggable_resource_carries_the_environment_and_project_tags(side_by_side):
    tagged_types: set[str] = set()
    for env in ("dev", "prod"):
        expected = [{"Key": "environment", "Value": env}, {"Key": "project", "Value": PROJECT}]
        for stack_name, template in side_by_side.templates(env):
            for name, resource in template["Resources"].items():
                if not _taggable(resource["Type"]):
                    continue
                if "CustomResourceProvider" in name:
                    # CDK writes its custom-resource providers as raw CloudFormation, which its
                    # tagging cannot reach; CloudFormation gives them the stack's tags.
                    continue
                tags = _tags(resource)
                for tag in expected:
                    assert tag in tags, f"{stack_name}:{name} lacks {tag}"
                tagged_types.add(resource["Type"])
    # The check above is not vacuous: the resources that cost money are among those tagged.
    assert {
        "AWS::EC2::VPC",
        "AWS::EC2::NatGateway",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ECS::Service",
        "AWS::S3::Bucket",
        "AWS::CloudFront::Distribution",
        "AWS::Logs::LogGroup",
        "AWS::ApiGateway::RestApi",
    } <= tagged_types


# Literal names that AWS scopes to their parent, so two environments may share them.
SCOPED_NAMES = {
    ("AWS::ApiGateway::RestApi", "Name"),  # not unique: an API is known by its generated id
    ("AWS::ApiGateway::Stage", "StageName"),  # unique within its REST API
    ("AWS::ECS::Cluster", "ClusterSettings.*.Name"),  # a setting's name
    ("AWS::ECS::Service", "LoadBalancers.*.ContainerName"),  # a container of its task
    ("AWS::ECS::TaskDefinition", "ContainerDefinitions.*.Name"),
    ("AWS::ECS::TaskDefinition", "ContainerDefinitions.*.Environment.*.Name"),
    ("AWS::ECS::TaskDefinition", "Volumes.*.Name"),
    ("AWS::IAM::Policy", "PolicyName"),  # an inline policy: unique within its role
    ("AWS::IAM::Role", "Policies.*.PolicyName"),
    # An alarm names the metric it watches and its dimensions, not a resource of its own.
    ("AWS::CloudWatch::Alarm", "MetricName"),
    ("AWS::CloudWatch::Alarm", "Dimensions.*.Name"),
    ("AWS::CloudWatch::Alarm", "Metrics.*.MetricStat.Metric.MetricName"),
    ("AWS::CloudWatch::Alarm", "Metrics.*.MetricStat.Metric.Dimensions.*.Name"),
}


def _literal_names(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(path, value) of every property named *Name whose value is a plain string."""
    if isinstance(value, dict):
        if any(key == "Ref" or key.startswith("Fn::") for key in value):
            return
        for key, item in value.items():
            if key.endswith("Name") and isinstance(item, str):
                yield ".".join((*path, key)), item
            yield from _literal_names(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _literal_names(item, (*path, "*"))


def _physical_names(side_by_side: SideBySide, env: str) -> dict[str, str]:
    found = {}
    for stack_name, template in side_by_side.templates(env):
        for name, resource in template["Resources"].items():
            for path, value in _literal_names(resource.get("Properties", {})):
                if (resource["Type"], path) not in SCOPED_NAMES:
                    found[value] = f"{stack_name}:{name}.{path}"
    return found


def test_no_fixed_physical_name_is_shared_between_environments(side_by_side):
    dev, prod = _physical_names(side_by_side, "dev"), _physical_names(side_by_side, "prod")
    assert dev, "the generated names (e.g. the VPC link's) are literals: the check must see them"
    shared = {value: (dev[value], prod[value]) for value in dev.keys() & prod.keys()}
    assert shared == {}
