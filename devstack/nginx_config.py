"""The local stack's nginx.conf: one nginx plays every hop of both chains and serves the sites.

Each part comes from a template in devstack/ (the generated file documents the hops); the sites
get the frontend with a generated config.json and the production Content-Security-Policy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from devstack.config import (
    API_GATEWAY,
    HTTP_API,
    HTTP_API_TIMEOUT_SECONDS,
    LAMBDA,
    LOCAL_API_SOURCES,
    PUBLIC_ALB,
    REST_ALB,
    SAME_ORIGIN,
    SiteSpec,
)
from devstack.nginx import render
from infra import csp  # standard library only, like service.contract
from infra.stage_path import stage_rewrite  # standard library only
from service import contract

if TYPE_CHECKING:
    from devstack.stack import LocalStack

FRONTEND: Final = Path(__file__).resolve().parents[1] / "frontend"


def stack_config(stack: LocalStack, directory: Path) -> str:
    """nginx.conf for `stack`, writing each site's files under `directory`."""
    # Only a root master can switch users; its workers would otherwise become "nobody" and
    # could not read this private temp directory.
    user = "user root;" if os.geteuid() == 0 else ""
    return render(
        "nginx.conf.template",
        {
            "user_directive": user,
            "dir": directory,
            "stage": stack.config.stage,
            "cert": stack.certificate.cert,
            "key": stack.certificate.key,
            "chains": "".join(_chains(stack)),
            "sites": "".join(_site(stack, site, directory) for site in stack.config.sites()),
        },
    )


def _chains(stack: LocalStack) -> list[str]:
    chains: list[str] = []
    services = stack.config.services()
    if API_GATEWAY in services:
        chains.append(
            render(
                "api_gateway.conf.template",
                {
                    "service_port": stack.ports[f"service:{API_GATEWAY}"],
                    "alb_port": stack.ports["internal_alb"],
                    "gateway_port": stack.ports["gateway"],
                    "stage": stack.config.stage,
                    "nlb_host": stack.nlb_host,
                    "site_origin": stack.gateway_site_origin,
                    "integration_timeout": f"{stack.config.integration_timeout_seconds}s",
                    "gateway_request_id_header": contract.GATEWAY_REQUEST_ID_HEADER,
                },
            )
        )
    if PUBLIC_ALB in services:
        chains.append(
            render(
                "public_alb.conf.template",
                {
                    "service_port": stack.ports[f"service:{PUBLIC_ALB}"],
                    "https_port": stack.ports["public_alb_https"],
                    "http_port": stack.ports["public_alb_http"],
                },
            )
        )
    if HTTP_API in services:
        chains.append(
            render(
                "http_api.conf.template",
                {
                    "service_port": stack.ports[f"service:{HTTP_API}"],
                    "alb_port": stack.ports["http_api_alb"],
                    "gateway_port": stack.ports["http_api_gateway"],
                    "alb_host": stack.alb_host,
                    "integration_timeout": f"{HTTP_API_TIMEOUT_SECONDS}s",
                    "gateway_request_id_header": contract.GATEWAY_REQUEST_ID_HEADER,
                    "gateway_cors": GATEWAY_CORS if stack.config.http_api_gateway_cors else "",
                },
            )
        )
    if REST_ALB in services:
        regex, replace = stage_rewrite(stack.config.stage)
        rewrite = (
            f"            rewrite {regex} {replace} break;"
            if stack.config.rest_alb_strips_stage
            else ""
        )
        chains.append(
            render(
                "rest_alb.conf.template",
                {
                    "service_port": stack.ports[f"service:{REST_ALB}"],
                    "alb_port": stack.ports["rest_alb_alb"],
                    "gateway_port": stack.ports["rest_alb_gateway"],
                    "stage": stack.config.stage,
                    "alb_host": stack.rest_alb_host,
                    "site_origin": stack.site_origin(f"{REST_ALB}-site"),
                    "integration_timeout": f"{stack.config.integration_timeout_seconds}s",
                    "gateway_request_id_header": contract.GATEWAY_REQUEST_ID_HEADER,
                    "stage_rewrite": rewrite,
                },
            )
        )
    if LAMBDA in services:
        chains.append(
            render(
                "lambda.conf.template",
                {
                    "service_port": stack.ports[f"service:{LAMBDA}"],
                    "gateway_port": stack.ports["lambda_gateway"],
                    "stage": stack.config.stage,
                    "site_origin": stack.site_origin(f"{LAMBDA}-site"),
                    "integration_timeout": f"{stack.config.integration_timeout_seconds}s",
                    "gateway_request_id_header": contract.GATEWAY_REQUEST_ID_HEADER,
                },
            )
        )
    if SAME_ORIGIN in services:
        chains.append(
            render(
                "same_origin.conf.template",
                {
                    "service_port": stack.ports[f"service:{SAME_ORIGIN}"],
                    "alb_port": stack.ports["same_origin_alb"],
                },
            )
        )
    return chains


# CloudFront's /api/* behaviour with a VPC origin: caching disabled, every method, every viewer
# header but Host (the origin's name instead), X-Forwarded-For appended.
API_BEHAVIOUR: Final = """\
        location /api/ {
            proxy_pass http://127.0.0.1:%(alb_port)s;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host %(alb_host)s;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_redirect off;
            proxy_buffering off;
            client_max_body_size 0;
        }"""


# What API Gateway does when an HTTP API has a CORS configuration (here: any origin, no
# credentials, content-type only): it answers every preflight itself and replaces the
# Access-Control-* headers of the integration's responses with its own.
GATEWAY_CORS: Final = """\
            if ($request_method = OPTIONS) {
                add_header Access-Control-Allow-Origin "*" always;
                add_header Access-Control-Allow-Methods "GET,POST,DELETE" always;
                add_header Access-Control-Allow-Headers "content-type" always;
                return 204;
            }
            proxy_hide_header Access-Control-Allow-Origin;
            proxy_hide_header Access-Control-Allow-Credentials;
            add_header Access-Control-Allow-Origin "*" always;"""


def _site_config(stack: LocalStack, site: SiteSpec) -> str:
    if site.raw_config is not None:
        return site.raw_config
    # Exactly what the CDK app's deployment writes next to index.html.
    return json.dumps({"apiUrl": stack.api_url(site.ingress)})


def _site(stack: LocalStack, site: SiteSpec, directory: Path) -> str:
    content = _site_config(stack, site)
    site_dir = directory / "sites" / site.name
    site_dir.mkdir(parents=True, exist_ok=True)
    if content:
        (site_dir / "config.json").write_text(content)
        location = (
            f"            alias {site_dir / 'config.json'};\n"
            "            default_type application/json;\n"
            # The API URL changes per deployment; never let a stale one be cached.
            '            add_header Cache-Control "no-store" always;'
        )
    else:
        location = "            return 404;"
    headers = site_dir / "headers.conf"
    headers.write_text(
        render(
            "site_headers.conf.template",
            {"name": site.name, "csp": csp.header_policy(LOCAL_API_SOURCES)},
        )
    )
    entry = site_dir / "index.html"
    entry.write_text(
        csp.render_entry(
            (FRONTEND / "index.html").read_text(encoding="utf-8"),
            stack.api_origin(site.ingress),
        ),
        encoding="utf-8",
    )
    api_location = ""
    if site.name == f"{SAME_ORIGIN}-site":
        alb_port = stack.ports["same_origin_alb"]
        api_location = API_BEHAVIOUR % {
            "alb_port": alb_port,
            "alb_host": f"internal-alb.local:{alb_port}",
        }
    return render(
        "site.conf.template",
        {
            "api_location": api_location,
            "name": site.name,
            "port": stack.ports[f"site:{site.name}"],
            "frontend": FRONTEND,
            "headers": headers,
            "entry": entry,
            "config_location": location,
        },
    )
