"""The ALB's listeners: one plain HTTP listener inside the VPC, or, for an internet-facing ALB,
HTTPS with the API's certificate and a port-80 listener that only redirects to it."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_elasticloadbalancingv2 as elbv2

LISTENER_PORT = 80
HTTPS_PORT = 443
# TLS 1.3 and 1.2 only, with forward-secret ciphers: ELB's recommended policy.
TLS_POLICY = elbv2.SslPolicy.RECOMMENDED_TLS


@dataclass(frozen=True)
class PublicListener:
    """An internet-facing ALB: TLS ends there with this certificate (`ingress=public-alb`)."""

    certificate_arn: str


@dataclass(frozen=True)
class AlbListeners:
    """listener: where the tasks' target group is added (HTTP on LISTENER_PORT, or HTTPS);
    redirect: a public ALB's port-80 redirect, else None."""

    listener: elbv2.ApplicationListener
    redirect: elbv2.ApplicationListener | None


def add_listeners(
    load_balancer: elbv2.ApplicationLoadBalancer, public_listener: PublicListener | None
) -> AlbListeners:
    """The listeners for load_balancer: internal without public_listener, else public."""
    if public_listener is None:
        listener = load_balancer.add_listener(
            "Http",
            port=LISTENER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            # Its only sources are the ingress in front (the NLB's group, a VPC link's, or
            # CloudFront's prefix list), which admit themselves: do not let CDK open 0.0.0.0/0.
            open=False,
        )
        return AlbListeners(listener=listener, redirect=None)
    listener = load_balancer.add_listener(
        "Https",
        port=HTTPS_PORT,
        protocol=elbv2.ApplicationProtocol.HTTPS,
        certificates=[elbv2.ListenerCertificate.from_arn(public_listener.certificate_arn)],
        ssl_policy=TLS_POLICY,
        open=True,
    )
    # Port 80 only ever redirects: nothing in plain HTTP reaches the tasks.
    redirect = load_balancer.add_listener(
        "HttpRedirect",
        port=LISTENER_PORT,
        protocol=elbv2.ApplicationProtocol.HTTP,
        open=True,
        default_action=elbv2.ListenerAction.redirect(
            protocol="HTTPS", port=str(HTTPS_PORT), permanent=True
        ),
    )
    return AlbListeners(listener=listener, redirect=redirect)
