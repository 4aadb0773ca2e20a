"""ContainerService with a public listener (`ingress=public-alb`), on a bare stack."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from infra.components.alb_listeners import HTTPS_PORT, LISTENER_PORT, PublicListener
from tests.infra.components.container_service_build import BALANCER, Built, build

CERTIFICATE = "arn:aws:acm:eu-west-1:000000000000:certificate/12345678-1234-1234-1234-000000000001"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("image"), PublicListener(certificate_arn=CERTIFICATE))


@pytest.fixture(scope="module")
def internal(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("image"))


def test_a_public_listener_makes_the_alb_internet_facing(public, internal):
    public.template.has_resource_properties(BALANCER, {"Scheme": "internet-facing"})
    internal.template.has_resource_properties(BALANCER, {"Scheme": "internal"})


def test_the_tasks_are_forwarded_only_from_the_https_listener(public):
    listeners = public.template.find_resources(LISTENER)
    forwarding = {
        body["Properties"]["Port"]
        for body in listeners.values()
        if body["Properties"]["DefaultActions"][0]["Type"] == "forward"
    }
    assert forwarding == {HTTPS_PORT}
    public.template.has_resource_properties(
        LISTENER,
        {
            "Port": LISTENER_PORT,
            "DefaultActions": [Match.object_like({"Type": "redirect"})],
        },
    )


def test_the_internal_alb_has_one_plain_http_listener_and_no_certificate(internal):
    listeners = internal.template.find_resources(LISTENER)
    assert [body["Properties"]["Port"] for body in listeners.values()] == [LISTENER_PORT]
    assert all("Certificates" not in body["Properties"] for body in listeners.values())
    assert internal.service.redirect_listener is None


def test_only_the_public_albs_group_admits_the_internet(public, internal):
    def open_ports(built: Built) -> set[int]:
        group = built.template.to_json()["Resources"]
        found = set()
        for body in group.values():
            if body["Type"] != "AWS::EC2::SecurityGroup":
                continue
            for rule in body["Properties"].get("SecurityGroupIngress", []):
                if rule.get("CidrIp") == "0.0.0.0/0":
                    found.add(rule["FromPort"])
        return found

    assert open_ports(public) == {HTTPS_PORT, LISTENER_PORT}
    assert open_ports(internal) == set()
