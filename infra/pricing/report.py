"""The estimate as text for a terminal and as the README's Markdown cost section."""

from __future__ import annotations

from collections.abc import Mapping

from infra.pricing.estimate import Estimate
from infra.pricing.prices import READ

BEGIN = "<!-- generated cost section: python -m infra.pricing --readme -->"
END = "<!-- end of cost section -->"


def text(estimate: Estimate) -> str:
    width = max(len(line.item) for line in estimate.idle) + 2
    lines = ["Idle month (us-east-1 list prices, no requests):"]
    lines += [
        f"  {line.item:<{width}} {line.monthly:>8.2f}  {line.basis}" for line in estimate.idle
    ]
    lines.append(f"  {'total':<{width}} {estimate.idle_total:>8.2f}  USD/month")
    lines.append("What use adds:")
    lines += [f"  {u.item:<{width}} ${u.price.usd:g} per {u.price.unit}" for u in estimate.usage]
    return "\n".join(lines)


def markdown(estimates: Mapping[str, Estimate], options: Mapping[str, float]) -> str:
    """The README's cost section: a summary row per topology, then each one's breakdown."""
    out = [
        BEGIN,
        "",
        f"us-east-1 on-demand list prices (read {READ}), before free tiers; every line is "
        "computed from the synthesized templates by `infra/pricing` (`python -m "
        "infra.pricing [-c app:KEY=VALUE ...]` prints it for any configuration). The idle "
        "month has no requests: load balancer capacity units, requests and data are usage, "
        "priced below each table.",
        "",
        "| topology | idle month (USD) |",
        "| --- | ---: |",
    ]
    out += [f"| `{name}` | {e.idle_total:.2f} |" for name, e in estimates.items()]
    out += [
        "",
        "| option (on the default topology) | adds to the idle month (USD) |",
        "| --- | ---: |",
    ]
    out += [f"| `{name}` | {delta:+.2f} |" for name, delta in options.items()]
    for name, estimate in estimates.items():
        out += ["", f"**`{name}`**", "", "| item | basis | USD/month |", "| --- | --- | ---: |"]
        out += [f"| {line.item} | {line.basis} | {line.monthly:.2f} |" for line in estimate.idle]
        out.append(f"| **idle month** | | **{estimate.idle_total:.2f}** |")
        usage = "; ".join(f"{u.item} ${u.price.usd:g} per {u.price.unit}" for u in estimate.usage)
        out += ["", f"Use adds: {usage}."]
    out += ["", END]
    return "\n".join(out)


def replace_section(readme: str, section: str) -> str:
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + section + readme[end:]
