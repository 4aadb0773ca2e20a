"""How the `rest-alb` ingress removes the REST stage from a path (standard library only).

One definition for the ALB's URL-rewrite rule (infra/components/rest_alb_api.py) and the local
stand-in's nginx rewrite (devstack), which must strip exactly the same.
"""

from __future__ import annotations


def stage_rewrite(stage_name: str) -> tuple[str, str]:
    """The (regex, replacement) that turns `/<stage>` and `/<stage>/x` into `/` and `/x`."""
    return f"^/{stage_name}/?(.*)$", "/$1"
