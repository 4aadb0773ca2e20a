"""The FastAPI service as one AWS Lambda function (Mangum), for `app:compute=lambda`.

No VPC: the function calls nothing inside one, and outside a VPC it needs no NAT gateway.
The code is the locally built bundle (infra/lambda_bundle.py): no Docker at synth.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from aws_cdk import Duration, RemovalPolicy, aws_logs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import checkov
from infra.config import Architecture, FunctionSettings, LogSettings
from infra.nag import acknowledge
from infra.retention import retention

HANDLER: Final = "service.lambda_handler.handler"
# The Python this project runs and tests on. AWS's schedule deprecates python3.11 on Lambda on
# 2026-06-30 (README: what that means for new deployments, and the move to 3.12).
RUNTIME: Final = lambda_.Runtime.PYTHON_3_11
ARCHITECTURES: Final = {
    Architecture.ARM64: lambda_.Architecture.ARM_64,
    Architecture.X86_64: lambda_.Architecture.X86_64,
}


class ServiceFunction(Construct):
    """The service's function: the bundle, its settings, a log group, active tracing.

    Args:
        settings: architecture, memory, timeout, reserved concurrency (see FunctionSettings).
        logs: how long its logs are kept.
        code_directory: the bundle (the `service` package and its runtime wheels).
        environment: the function's environment (service.contract.function_environment).
        encryption_key: a customer managed key for its logs (app:kms). Default: None.

    Attributes:
        function: the Lambda function; log_group: its logs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: FunctionSettings,
        logs: LogSettings,
        code_directory: Path,
        environment: Mapping[str, str],
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = aws_logs.LogGroup(
            self,
            "Logs",
            retention=retention(logs.retention_days),
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=encryption_key,
        )
        if encryption_key is None:
            checkov.skip(self.log_group, "CKV_AWS_158", checkov.LOGS_WITHOUT_CUSTOMER_KEY)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURES[settings.lambda_architecture],
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(code_directory)),
            memory_size=settings.lambda_memory_mib,
            timeout=Duration.seconds(settings.lambda_timeout_seconds),
            reserved_concurrent_executions=settings.lambda_reserved_concurrency,
            environment=dict(environment),
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            description="The FastAPI service through Mangum; CORS is answered by the service",
        )
        self._suppress(reserved=settings.lambda_reserved_concurrency is not None)

    def _suppress(self, *, reserved: bool) -> None:
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.11 is the version the service runs and is tested on (CI, the image); the "
            "bundle's wheels are built for it. Moving runtimes is a project-wide change (README).",
        )
        role = self.function.role
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4",
                "Lambda's managed AWSLambdaBasicExecutionRole only lets the function write its "
                "own logs.",
                findings=[
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole"
                ],
            )
            policy = role.node.try_find_child("DefaultPolicy")
            if policy is not None:
                acknowledge(
                    policy,
                    "AwsSolutions-IAM5",
                    "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level "
                    "permissions.",
                    findings=["Resource::*"],
                )
        checkov.skip(
            self.function,
            "CKV_AWS_116",
            "API Gateway invokes the function synchronously; a failed request is answered "
            "(500 with CORS), there is no event to dead-letter.",
        )
        checkov.skip(
            self.function,
            "CKV_AWS_117",
            "The function calls nothing inside a VPC; a VPC would add NAT gateways (the cost "
            "this compute option exists to avoid) and nothing else.",
        )
        checkov.skip(
            self.function,
            "CKV_AWS_173",
            "Its environment holds only non-secret settings (origins, switches, limits); "
            "Lambda encrypts it at rest with its service key.",
        )
        if not reserved:
            checkov.skip(
                self.function,
                "CKV_AWS_115",
                "Reserved concurrency is app:lambdaReservedConcurrency, unset by default: a "
                "reservation also caps the API, which the stage throttle already limits.",
            )
