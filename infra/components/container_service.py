from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, aws_logs
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra import checkov
from infra.components.alarms import DeploymentAlarms
from infra.components.alb_listeners import PublicListener, add_listeners
from infra.components.log_bucket import LogBucket, log_alb_access
from infra.config import AlarmSettings, LogSettings, TaskSettings
from infra.limits import DEPLOYMENT_MAX_PERCENT
from infra.nag import acknowledge
from infra.retention import retention
from service import contract

CONTAINER_USER = "10001"  # the uid the Dockerfile creates; keeps the task non-root if it changes
ALB_LOG_PREFIX = "alb"


class ContainerService(Construct):
    """The service's container on Fargate behind an internal ALB.

    The ALB's security group admits nothing until its caller allows a source (the NLB in front,
    infra/components/api.py, admits itself); the tasks admit the ALB's group only.

    Args:
        settings: task size, count, autoscaling, draining and shutdown (see TaskSettings).
        logs: how long the app's logs and the ALB's access logs are kept.
        vpc: the VPC; the tasks use its private subnets (with egress, for the image pull).
        load_balancer_subnets: the subnets the ALB lives in, which hold only load balancers:
            their ranges are what the service trusts (in `environment`).
        encryption_key: a customer managed key for the app's logs (app:kms). Default: None
            (CloudWatch Logs' own key).
        image_directory: the Docker build context of the service's image (built at deploy).
        environment: the container's complete environment (the contract's names).
        alarms: the deployment alarms' threshold (see AlarmSettings).
        alarm_topic: the topic the deployment alarms notify.
        public_listener: make the ALB internet-facing with this TLS listener (`public-alb`).
            Default None: internal, one plain HTTP listener.
        public_task_ips: run the tasks in the public subnets with a public IPv4 address each
            instead of behind NAT (app:taskEgress=public-ip); their group still admits only
            the ALB. Default False.

    Attributes:
        cluster, task_definition, container: the ECS cluster, task definition and container.
        ecs_service: the ECS Fargate service that runs and replaces the tasks.
        load_balancer, listener, target_group: the ALB, its listener (see alb_listeners)
            and the tasks' target group; redirect_listener: a public ALB's port-80 redirect,
            else None.
        alb_security_group, task_security_group: their security groups.
        log_group: the app's logs; access_logs: the ALB's access-log bucket.
        deployment_alarms: the target group's alarms that roll a deployment back (besides
            the circuit breaker, which only sees tasks that fail to start or stay unhealthy).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: TaskSettings,
        logs: LogSettings,
        vpc: ec2.IVpc,
        load_balancer_subnets: Sequence[ec2.ISubnet],
        image_directory: Path,
        environment: Mapping[str, str],
        alarms: AlarmSettings,
        alarm_topic: sns.ITopic,
        encryption_key: kms.IKey | None = None,
        public_listener: PublicListener | None = None,
        public_task_ips: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        public = public_listener is not None
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.log_group = aws_logs.LogGroup(
            self,
            "Logs",
            retention=retention(logs.retention_days),
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=encryption_key,
        )
        if encryption_key is None:
            checkov.skip(self.log_group, "CKV_AWS_158", checkov.LOGS_WITHOUT_CUSTOMER_KEY)
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=settings.cpu,
            memory_limit_mib=settings.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.task_definition.add_volume(name="tmp")
        # As far as Fargate allows (the tests run the image with the same, via podman): an init
        # process as PID 1 that forwards SIGTERM and reaps children, and every Linux capability
        # dropped. Fargate rejects dockerSecurityOptions, so "no-new-privileges" cannot be set
        # here; the image instead carries no setuid/setgid file and the bounding set is empty.
        linux_parameters = ecs.LinuxParameters(
            self, "LinuxParameters", init_process_enabled=contract.INIT_PROCESS
        )
        linux_parameters.drop_capabilities(
            *(ecs.Capability(name) for name in contract.DROPPED_CAPABILITIES)
        )
        self.container = self.task_definition.add_container(
            "App",
            image=ecs.ContainerImage.from_asset(str(image_directory)),
            command=list(contract.SERVER_COMMAND),
            environment=dict(environment),
            user=CONTAINER_USER,
            readonly_root_filesystem=True,
            linux_parameters=linux_parameters,
            port_mappings=[ecs.PortMapping(container_port=contract.CONTAINER_PORT)],
            logging=ecs.LogDriver.aws_logs(stream_prefix="app", log_group=self.log_group),
            stop_timeout=Duration.seconds(settings.stop_timeout_seconds),
            # The image's HEALTHCHECK, repeated because ECS ignores the image's: the task's
            # health gates deployments and the circuit breaker.
            health_check=ecs.HealthCheck(
                command=list(contract.HEALTH_CHECK_COMMAND),
                interval=Duration.seconds(contract.HEALTH_CHECK_INTERVAL_SECONDS),
                timeout=Duration.seconds(contract.HEALTH_CHECK_TIMEOUT_SECONDS),
                retries=contract.HEALTH_CHECK_RETRIES,
                start_period=Duration.seconds(contract.HEALTH_CHECK_START_PERIOD_SECONDS),
            ),
        )
        self.container.add_mount_points(
            ecs.MountPoint(container_path="/tmp", source_volume="tmp", read_only=False)  # noqa: S108
        )

        self.alb_security_group = ec2.SecurityGroup(
            self,
            "AlbSecurityGroup",
            vpc=vpc,
            # The description is immutable (a change replaces the group), hence its old words:
            # the only source admitted is the NLB's security group, added by the NLB's owner.
            description=(
                "Public ALB: HTTPS, and HTTP only to redirect, from anywhere"
                if public
                else "Internal ALB: HTTP from inside the VPC (the NLB) only"
            ),
            allow_all_outbound=False,
        )
        self.task_security_group = ec2.SecurityGroup(
            self,
            "TaskSecurityGroup",
            vpc=vpc,
            # The description is immutable: changing it would replace the group on deploy.
            description="Service tasks: the container port from the ALB only",
            allow_all_outbound=False,
        )
        # What a Fargate task itself sends: the image pull (ECR's API, its registry and the
        # layers on S3) and the awslogs driver's calls to CloudWatch Logs, all HTTPS through the
        # NAT gateway. Their addresses are AWS's public ranges (only S3 has a managed prefix
        # list), hence 0.0.0.0/0 on 443 and nothing else. DNS needs no rule: queries go to the
        # VPC's Route 53 Resolver, which security groups do not filter (AWS: "Security groups
        # cannot block DNS requests to or from the Route 53 Resolver"; nor the ECS task metadata
        # endpoint). Responses to the ALB's requests are allowed by connection tracking.
        self.task_security_group.add_egress_rule(
            ec2.Peer.any_ipv4(),
            ec2.Port.tcp(443),
            "HTTPS to ECR, S3 (image layers) and CloudWatch Logs via the NAT gateway",
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=vpc,
            internet_facing=public,
            security_group=self.alb_security_group,
            vpc_subnets=ec2.SubnetSelection(subnets=list(load_balancer_subnets)),
            drop_invalid_header_fields=True,
        )
        self.access_logs = LogBucket(self, "AlbAccessLogs", retention_days=logs.retention_days)
        log_alb_access(self.load_balancer, self.access_logs.bucket, prefix=ALB_LOG_PREFIX)

        self.ecs_service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=settings.desired_count,
            security_groups=[self.task_security_group],
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=(
                    ec2.SubnetType.PUBLIC if public_task_ips else ec2.SubnetType.PRIVATE_WITH_EGRESS
                )
            ),
            assign_public_ip=public_task_ips,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=DEPLOYMENT_MAX_PERCENT,
            health_check_grace_period=Duration.seconds(30),
            enable_execute_command=False,
        )
        listeners = add_listeners(self.load_balancer, public_listener)
        self.listener = listeners.listener
        self.redirect_listener = listeners.redirect
        self.target_group = self.listener.add_targets(
            "Tasks",
            port=contract.CONTAINER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[
                self.ecs_service.load_balancer_target(
                    container_name=self.container.container_name,
                    container_port=contract.CONTAINER_PORT,
                )
            ],
            deregistration_delay=Duration.seconds(settings.deregistration_delay_seconds),
            health_check=elbv2.HealthCheck(
                path=contract.HEALTH_PATH,
                healthy_http_codes="200",
                interval=Duration.seconds(10),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
        # add_targets wires ALB -> task security groups; the task group gets no other ingress.
        # The alarms watch the target group, which exists only now; named here, they are part
        # of the service's deployment configuration before anything deploys.
        self.deployment_alarms = DeploymentAlarms(
            self,
            "DeploymentAlarms",
            settings=alarms,
            target_group=self.target_group,
            topic=alarm_topic,
        )
        self.ecs_service.enable_deployment_alarms(
            [alarm.alarm_name for alarm in self.deployment_alarms.alarms],
            behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
        )
        scaling = self.ecs_service.auto_scale_task_count(
            min_capacity=settings.min_capacity, max_capacity=settings.max_capacity
        )
        scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=settings.cpu_target_percent,
            scale_in_cooldown=Duration.seconds(120),
            scale_out_cooldown=Duration.seconds(60),
        )
        scaling.scale_on_request_count(
            "Requests",
            requests_per_target=settings.requests_per_target,
            target_group=self.target_group,
            scale_in_cooldown=Duration.seconds(120),
            scale_out_cooldown=Duration.seconds(60),
        )
        self._suppress(public=public)

    def _suppress(self, *, public: bool) -> None:
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "Only non-secret settings (origins, trusted CIDR, root path, port) are plain "
            "environment variables; secrets would come from Secrets Manager.",
        )
        role = self.task_definition.execution_role
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM5",
                "ecr:GetAuthorizationToken has no resource-level permissions; the ECS execution "
                "role needs Resource '*' for it.",
                findings=["Resource::*"],
            )
        if public:
            acknowledge(
                self.alb_security_group,
                "AwsSolutions-EC23",
                "An internet-facing ALB serves browsers anywhere: 443, and 80 only to redirect "
                "to https; app:waf puts a web ACL in front of it.",
            )
            checkov.skip(
                self.alb_security_group,
                "CKV_AWS_260",
                "Port 80 of the internet-facing ALB only answers 301 to https (its listener's "
                "one action); nothing in plain HTTP reaches the tasks.",
            )
            return
        plain_http = (
            "Internal ALB reached only from inside the VPC (the NLB behind API Gateway's VPC "
            "link); TLS ends at API Gateway, and an internal name has no public certificate."
        )
        for check_id in ("CKV_AWS_2", "CKV_AWS_103"):
            checkov.skip(self.listener, check_id, plain_http)
