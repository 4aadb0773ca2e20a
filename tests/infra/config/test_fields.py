"""How a setting is declared (infra/config/fields.py): its type picks the parser, its metadata
the key, bounds and documentation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pytest

from infra.config import ConfigError
from infra.config.fields import Group, entries, setting


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
