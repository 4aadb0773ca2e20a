"""A bare Stack holding the components the alarms and the dashboard watch, and those two.

No whole app, no cdk-nag: one stack per settings, synthesized once and shared by the tests.
The context is cdk.json's, so CDK's feature flags are the deployed app's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from infra.components import metrics
from infra.components.alarm_topic import AlarmTopic
from infra.components.alarms import Alarms
from infra.components.alb_listeners import LISTENER_PORT
from infra.components.api import Api
from infra.components.container_service import ContainerService
from infra.components.dashboard import RequestPathDashboard
from infra.components.frontend import FrontendEdge
from infra.components.network import Network
from infra.config import AlarmSettings, AppConfig
from infra.stacks import SERVICE_DIR
from tests.infra.conftest import cdk_json_context


@dataclass(frozen=True)
class Observed:
    settings: AlarmSettings
    stack: cdk.Stack
    template: Template
    topic: AlarmTopic
    edge: FrontendEdge
    service: ContainerService
    api: Api
    alarms: Alarms
    dashboard: RequestPathDashboard

    def logical_id(self, construct: Any) -> str:
        """The logical id of an L2 construct's resource (or of an L1 resource)."""
        resource = getattr(construct, "node", None) and construct.node.default_child
        return self.stack.get_logical_id(resource or construct)

    def ref(self, construct: Any) -> dict[str, str]:
        return {"Ref": self.logical_id(construct)}

    def resource(self, construct: Any) -> dict[str, Any]:
        found: dict[str, Any] = self.template.to_json()["Resources"][self.logical_id(construct)]
        return found


@functools.cache
def observed(stack_name: str = "Observed", **alarm_settings: Any) -> Observed:
    """The stack for these alarm settings (AlarmSettings' field names), built once."""
    settings = AlarmSettings(**alarm_settings)
    config = AppConfig(alarms=settings)
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, stack_name)
    network = Network(stack, "Network", settings=config.network, logs=config.logs)
    edge = FrontendEdge(stack, "Edge", settings=config.site, logs=config.logs)
    topic = AlarmTopic(stack, "AlarmTopic", settings=settings)
    service = ContainerService(
        stack,
        "Service",
        settings=config.tasks,
        logs=config.logs,
        vpc=network.vpc,
        load_balancer_subnets=network.load_balancer_subnets,
        image_directory=SERVICE_DIR,
        environment=config.container_environment(
            allow_origins=edge.browser_origins,
            trusted_networks=",".join(network.load_balancer_cidrs),
        ),
        alarms=settings,
        alarm_topic=topic.topic,
    )
    api = Api(
        stack,
        "Api",
        settings=config.api,
        logs=config.logs,
        vpc=network.vpc,
        load_balancer_subnets=network.load_balancer_subnets,
        alb_listener=service.listener,
        alb_port=LISTENER_PORT,
        site_origin=edge.site_origin,
        allow_credentials=config.cors.allow_credentials,
    )
    alarms = Alarms(
        stack,
        "Alarms",
        settings=settings,
        topic=topic.topic,
        gateway=metrics.rest_stage_metrics(api.stage),
        ecs_service=service.ecs_service,
        distribution=edge.distribution,
    )
    dashboard = RequestPathDashboard(
        stack,
        "Dashboard",
        distribution=edge.distribution,
        gateway=metrics.rest_stage_metrics(api.stage),
        nlb=api.load_balancer,
        nlb_target_group=api.target_group,
        alb=service.load_balancer,
        alb_target_group=service.target_group,
        ecs_service=service.ecs_service,
        alarms=[*service.deployment_alarms.alarms, *alarms.alarms],
    )
    return Observed(
        settings=settings,
        stack=stack,
        template=Template.from_stack(stack),
        topic=topic,
        edge=edge,
        service=service,
        api=api,
        alarms=alarms,
        dashboard=dashboard,
    )
