"""The pricing of whole synthesized apps, its command, and the README's generated section."""

from __future__ import annotations

import pytest

from infra.pricing import __main__ as command
from infra.pricing import report
from infra.pricing.estimate import estimate
from tests.infra.conftest import ROOT, Synth


def _items(synth: Synth) -> list[str]:
    templates = {stack.stack_name: synth.raw(stack) for stack in synth.stacks.all()}
    return [line.item for line in estimate(templates).idle]


def test_the_default_app_pays_for_the_nat_gateway_both_load_balancers_and_the_tasks(synth):
    items = _items(synth)
    for expected in ("NAT gateway (1)", "internal ALB", "internal NLB", "Fargate tasks (2 x"):
        assert any(item.startswith(expected) for item in items), (expected, items)


def test_every_resource_type_the_default_app_synthesizes_is_priced_or_known_free(synth):
    # estimate() raises for a type it does not know; the whole app must not contain one.
    assert _items(synth)


def test_the_readme_cost_section_is_what_the_module_computes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(report.BEGIN), readme.index(report.END) + len(report.END)
    assert readme[start:end] == command.readme_section(), (
        "README's cost section is stale: run `python -m infra.pricing --readme`"
    )


def test_the_cheapest_container_topologies_are_those_without_an_nlb():
    estimates = {
        name: e for name, e in command.topology_estimates().items() if name.startswith("fargate")
    }
    floor = min(e.idle_total for e in estimates.values())
    cheapest = {name for name, e in estimates.items() if e.idle_total == floor}
    assert cheapest == {"fargate / rest-alb", "fargate / http-api"}
    for name in cheapest:
        assert not any("NLB" in line.item for line in estimates[name].idle), name


def test_the_lambda_variants_idle_month_has_no_hourly_item():
    estimates = command.topology_estimates()
    for name in ("lambda / rest", "lambda / http-api"):
        items = [line.item for line in estimates[name].idle]
        assert not any(word in item for item in items for word in ("NAT", "ALB", "Fargate"))
        assert any("service's function" in usage.item for usage in estimates[name].usage)


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["-c", "app:natGateways=x"], "error: app:natGateways=x: must be a whole number"),
        (["-c", "novalue"], "error: novalue: expected -c KEY=VALUE"),
    ],
)
def test_a_bad_context_value_is_one_line_and_exit_1(capsys, argv, line):
    assert command.main(argv) == 1
    assert capsys.readouterr().err.splitlines() == [line]


def test_the_command_prints_the_idle_total_for_a_configuration(capsys):
    assert command.main(["-c", "app:natGateways=2"]) == 0
    out = capsys.readouterr().out
    assert "NAT gateway (2)" in out
    assert "total" in out
