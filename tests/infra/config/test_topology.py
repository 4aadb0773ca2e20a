"""app:compute and app:ingress: every offered combination, and one line for the others."""

from __future__ import annotations

import pytest

from infra.config import AppConfig, Compute, ConfigError, Ingress
from infra.config.topology import INGRESSES

CERTIFICATE = "arn:aws:acm:eu-west-1:000000000000:certificate/12345678-1234-1234-1234-000000000000"
PUBLIC = {
    "app:ingress": "public-alb",
    "app:apiDomainName": "api.example.com",
    "app:apiCertificateArn": CERTIFICATE,
}


def test_fargate_behind_the_rest_api_and_the_nlb_is_the_default():
    topology = AppConfig.from_context({}).topology
    assert (topology.compute, topology.chosen_ingress) == (Compute.FARGATE, Ingress.REST_NLB)


def test_lambda_defaults_to_the_rest_api():
    topology = AppConfig.from_context({"app:compute": "lambda"}).topology
    assert topology.chosen_ingress is Ingress.REST


@pytest.mark.parametrize(
    ("compute", "ingress"),
    [(compute, ingress) for compute, offered in INGRESSES.items() for ingress in offered],
)
def test_every_offered_combination_is_accepted(compute, ingress):
    extra = PUBLIC if ingress is Ingress.PUBLIC_ALB else {"app:ingress": ingress.value}
    topology = AppConfig.from_context({"app:compute": compute.value, **extra}).topology
    assert topology.chosen_ingress is ingress


def test_an_ingress_the_compute_does_not_offer_names_the_valid_choices():
    with pytest.raises(
        ConfigError, match=r"^app:ingress=rest-nlb: .*choose one of rest, http-api$"
    ):
        AppConfig.from_context({"app:compute": "lambda", "app:ingress": "rest-nlb"})


def test_lambda_ingress_rest_is_refused_for_fargate():
    with pytest.raises(ConfigError, match=r"app:ingress=rest: .*compute=fargate"):
        AppConfig.from_context({"app:ingress": "rest"})


def test_public_alb_without_a_certificate_names_the_missing_key():
    context = {**PUBLIC}
    del context["app:apiCertificateArn"]
    with pytest.raises(ConfigError, match=r"^app:apiCertificateArn=: ingress=public-alb needs"):
        AppConfig.from_context(context)


def test_api_domain_without_public_alb_is_refused():
    with pytest.raises(ConfigError, match=r"applies only with ingress=public-alb"):
        AppConfig.from_context({"app:apiDomainName": "api.example.com"})


def test_a_malformed_certificate_arn_is_refused():
    with pytest.raises(ConfigError, match=r"^app:apiCertificateArn=nope: not an ACM"):
        AppConfig.from_context({**PUBLIC, "app:apiCertificateArn": "nope"})


@pytest.mark.parametrize(
    ("ingress", "root_path"),
    [("rest-nlb", "/v1"), ("rest-alb", "/v1"), ("http-api", ""), ("same-origin", "")],
)
def test_only_rest_ingresses_put_the_stage_in_front_of_the_routes(ingress, root_path):
    config = AppConfig.from_context({"app:ingress": ingress})
    assert config.root_path == root_path
