"""Rendering the verdicts: one line per check for people, one JSON document for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cors_doctor.model import PathReport


def _describe(report: PathReport) -> str:
    request = report.request
    extras = [f"origin {report.origin}"]
    if report.preflighted:
        extras.append("preflighted")
    if request.credentials:
        extras.append("credentials")
    extras += [f"{name}: {value}" for name, value in request.headers.items()]
    return f"{request.method} {request.url}  ({', '.join(extras)})"


def render_text(reports: Sequence[PathReport]) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(_describe(report))
        for hop in report.hops:
            location = hop.first("location")
            arrow = f" -> {location}" if hop.is_redirect and location else ""
            lines.append(
                f"  {hop.kind}: {hop.method} {hop.url} (Origin: {hop.origin}) => "
                f"{hop.status}{arrow}"
            )
        if any(not check.ok for check in report.checks if check.stage == "preflight"):
            # The doctor goes on so one run shows every problem; the browser would not.
            lines.append(
                "  note: a browser stops at the failed preflight; the request was sent anyway"
            )
        for check in report.checks:
            verdict = "PASS" if check.ok else "FAIL"
            hint = f"  hint: {check.hint}" if not check.ok and check.hint else ""
            lines.append(f"  {verdict} {check.name}: {check.explanation}{hint}")
    lines.append(summary(reports))
    return "\n".join(lines)


def summary(reports: Sequence[PathReport]) -> str:
    total = sum(len(report.checks) for report in reports)
    failed = sum(1 for report in reports for check in report.checks if not check.ok)
    bad_paths = sum(1 for report in reports if not report.ok)
    verdict = "OK" if failed == 0 else "FAILED"
    return (
        f"{verdict}: {total - failed}/{total} checks passed, {failed} failed "
        f"({len(reports) - bad_paths}/{len(reports)} paths clean)"
    )


def render_json(reports: Sequence[PathReport], *, origin: str, probe_origin: str, mode: str) -> str:
    document = {
        "mode": mode,
        "origin": origin,
        "probe_origin": probe_origin,
        "ok": all(report.ok for report in reports),
        "summary": summary(reports),
        "paths": [report.to_json() for report in reports],
    }
    return json.dumps(document, indent=2)
