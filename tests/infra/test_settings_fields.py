"""A setting is one field: its type picks the parser, its metadata the key, bounds and docs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs
from aws_cdk.assertions import Template

from infra.config import AppConfig, ConfigError
from infra.config.app_config import groups, index_settings, settings_index
from infra.config.fields import Group, entries, setting
from infra.config.logs import RETENTION_PERIODS
from infra.config.table import BEGIN, END, README, render, updated
from infra.retention import retention


class Ingress(Enum):
    """Stands in for the topology choices to come (app:ingress, app:compute)."""

    REST_API = "restApi"
    PUBLIC_ALB = "publicAlb"


@dataclass(frozen=True, kw_only=True)
class Example(Group):
    ingress: Ingress = setting(default=Ingress.REST_API, key="ingress", doc="How requests enter.")
    replicas: int = setting(
        default=2, key="replicas", doc="Copies.", bounds=(1, 5), unit=" copies", why="a quota"
    )
    names: tuple[str, ...] = setting(default=(), key="names", doc="Names.", allowed="any names")
    label: str | None = setting(default=None, key="label", doc="A label.", allowed="any text")


def _entry(name: str):
    return next(entry for entry in entries(Example) if entry.name == name)


def test_every_setting_has_a_key_a_doc_and_a_parser():
    index = settings_index()
    assert len(index) == sum(len(entries(kind)) for kind in groups().values())
    for key, (_, entry) in index.items():
        assert key == "app:" + entry.spec.key
        assert entry.spec.doc.endswith(".")


def test_a_key_declared_twice_is_refused():
    with pytest.raises(TypeError, match="app:ingress is declared twice"):
        index_settings({"one": Example, "two": Example})


def test_a_field_without_setting_metadata_is_refused():
    @dataclass(frozen=True, kw_only=True)
    class Bare(Group):
        count: int = 1

    with pytest.raises(TypeError, match=r"Bare\.count is not declared with setting"):
        entries(Bare)


def test_a_field_of_a_type_settings_cannot_have_is_refused():
    @dataclass(frozen=True, kw_only=True)
    class Odd(Group):
        ratio: float = setting(default=0.5, key="ratio", doc="A ratio.")

    with pytest.raises(TypeError, match="cannot have the type"):
        entries(Odd)


def test_an_enum_setting_parses_its_values_and_lists_them_when_wrong():
    entry = _entry("ingress")
    assert entry.parse("app:ingress", "publicAlb") is Ingress.PUBLIC_ALB
    with pytest.raises(ConfigError) as caught:
        entry.parse("app:ingress", "nlb")
    assert str(caught.value) == "app:ingress=nlb: must be one of restApi, publicAlb"


def test_an_optional_setting_reads_blank_as_absent():
    entry = _entry("label")
    assert entry.parse("app:label", " ") is None
    assert entry.parse("app:label", "x") == "x"


def test_a_list_setting_reads_a_list_or_a_comma_separated_string():
    entry = _entry("names")
    assert entry.parse("app:names", "a, b,,c") == ("a", "b", "c")
    assert entry.parse("app:names", ["a", "b"]) == ("a", "b")


def test_bounds_come_from_the_field_metadata():
    assert Example(replicas=5).replicas == 5
    with pytest.raises(ConfigError) as caught:
        Example(replicas=6)
    assert str(caught.value) == "app:replicas=6: must be 1..5 copies (a quota)"


def test_the_readme_table_is_generated_from_the_config():
    # After adding or changing a setting: python -m infra.config.table
    text = README.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1
    assert text.count(END) == 1
    assert updated(text) == text


def test_the_readme_table_has_one_row_per_setting_with_its_default_and_bounds():
    rows = render().splitlines()[2:]
    assert len(rows) == len(settings_index())
    assert "| `maxBodyBytes` | `1048576` | 1024..10485760 bytes " in render()
    assert "| `extraOrigins` | none | " in render()


def test_every_retention_period_is_the_cloudwatch_enum_of_that_many_days():
    # One table (days -> CDK's member name); the synthesized template proves each pairing.
    stack = cdk.Stack(cdk.App(), "Retention")
    groups_by_days = {
        days: stack.resolve(
            aws_logs.LogGroup(stack, f"Days{days}", retention=retention(days)).log_group_name
        )["Ref"]
        for days in RETENTION_PERIODS
    }
    resources = Template.from_stack(stack).to_json()["Resources"]
    found = {
        days: resources[rid]["Properties"]["RetentionInDays"]
        for days, rid in groups_by_days.items()
    }
    assert found == {days: days for days in RETENTION_PERIODS}


def test_app_config_defaults_are_each_groups_defaults():
    config = AppConfig()
    for name, kind in groups().items():
        assert getattr(config, name) == kind()
