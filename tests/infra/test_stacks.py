"""The whole app (infra/stacks.py): deploy order, and the values wired between the stacks."""

from __future__ import annotations

from aws_cdk.assertions import Capture, Match, Template

from cors_doctor.cli import find_output
from infra import limits
from infra.components.alb_listeners import LISTENER_PORT
from infra.components.frontend import ENTRY_FILE
from infra.components.frontend_deployment import RUNTIME_CONFIG_FILE
from service import contract
from service.contract import Env
from tests.infra.conftest import ROOT, Synth
from tests.infra.templates import (
    assert_output,
    container_with,
    every_task_definition_sets,
    get_att,
    logical_id,
    ref,
    stack_output,
    templates_in,
)

NO_CACHE = {"SystemMetadata": {"cache-control": "no-cache"}}


def _names(synth: Synth) -> dict[str, str]:
    return {stack.artifact_id: name for name, stack in vars(synth.stacks).items()}


def test_stacks_deploy_network_edge_backend_site_and_the_edge_needs_no_api(synth):
    # The edge (CloudFront and its CSP header) must deploy before the API, which needs the
    # site's origin; only the site stack may depend on the API (index.html's CSP, config.json).
    names = _names(synth)
    depends = {
        names[stack.artifact_id]: {names[d] for d in synth.dependencies(stack) if d in names}
        for stack in synth.stacks.all()
    }
    assert depends == {
        "network": set(),
        "edge": set(),
        "backend": {"network", "edge"},
        "site": {"edge", "backend"},
    }


def test_synth_needs_no_lookups(synth):
    # Nothing is looked up in an AWS account: CI synthesizes without credentials.
    assert synth.missing_context() == []


# ---- network -> backend ------------------------------------------------------------------


def test_the_backend_runs_in_the_networks_vpc(synth, network, backend):
    vpc = network.get_resource_id("AWS::EC2::VPC")
    output = Capture()
    backend.all_resources_properties(
        "AWS::EC2::SecurityGroup", {"VpcId": stack_output(synth.stacks.network.stack_name, output)}
    )
    assert_output(network, output, ref(vpc))


def test_the_network_settings_reach_the_vpc(synth, network):
    network.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": synth.config.network.vpc_cidr})
    network.resource_count_is("AWS::EC2::NatGateway", synth.config.network.nat_gateways)


# ---- edge -> backend ---------------------------------------------------------------------


def _distribution_domain(synth: Synth, edge: Template, output: Capture) -> None:
    """`output` names the edge's output holding the distribution's domain name."""
    distribution = edge.get_resource_id("AWS::CloudFront::Distribution")
    assert_output(edge, output, get_att(distribution, "DomainName"))


def test_the_service_allows_the_sites_cloudfront_origin(synth, edge, backend):
    output = Capture()
    origin = {"Fn::Join": ["", ["https://", stack_output(synth.stacks.edge.stack_name, output)]]}
    every_task_definition_sets(backend, {Env.ALLOW_ORIGINS: origin})
    _distribution_domain(synth, edge, output)


def test_gateway_errors_allow_the_sites_cloudfront_origin(synth, edge, backend):
    output = Capture()
    origin = {
        "Fn::Join": ["", ["'https://", stack_output(synth.stacks.edge.stack_name, output), "'"]]
    }
    backend.all_resources_properties(
        "AWS::ApiGateway::GatewayResponse",
        {"ResponseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": origin}},
    )
    _distribution_domain(synth, edge, output)


def test_the_site_url_output_is_the_distributions_origin(edge):
    distribution = edge.get_resource_id("AWS::CloudFront::Distribution")
    edge.has_output(
        "SiteUrl",
        {"Value": {"Fn::Join": ["", ["https://", get_att(distribution, "DomainName")]]}},
    )


# ---- inside the backend: the config, the service and the API ------------------------------


def test_the_task_environment_is_the_configs_container_environment(synth, backend):
    environment = Capture()
    backend.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"ContainerDefinitions": container_with(Environment=environment)},
    )
    found = {item["Name"]: item["Value"] for item in environment.as_array()}
    expected = synth.config.container_environment(
        allow_origins=["https://site.invalid"],
        trusted_networks=",".join(synth.stacks.network.network.load_balancer_cidrs),
    )
    assert set(found) == set(expected)
    # The site's origin is a deploy-time reference (checked above); everything else is known.
    del found[Env.ALLOW_ORIGINS], expected[Env.ALLOW_ORIGINS]
    assert found == expected


def test_every_container_variable_name_comes_from_the_contract(backend):
    names = {value for key, value in vars(Env).items() if not key.startswith("_")}
    environment = Capture()
    backend.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"ContainerDefinitions": container_with(Environment=environment)},
    )
    assert {item["Name"] for item in environment.as_array()} <= names


def test_the_root_path_is_the_stage_known_at_synth(synth, backend):
    # A plain string, not a reference to the API: the container needs nothing built after it.
    every_task_definition_sets(backend, {Env.ROOT_PATH: f"/{synth.config.api.stage_name}"})


def test_the_stop_timeout_leaves_uvicorn_its_configured_graceful_shutdown(synth, backend):
    graceful = synth.config.tasks.graceful_shutdown_seconds
    every_task_definition_sets(backend, {Env.GRACEFUL_SHUTDOWN_SECONDS: str(graceful)})
    stop = Capture()
    backend.has_resource_properties(
        "AWS::ECS::TaskDefinition", {"ContainerDefinitions": container_with(StopTimeout=stop)}
    )
    assert graceful < stop.as_number() <= limits.MAX_STOP_TIMEOUT_SECONDS


def test_the_task_settings_reach_the_service(synth, backend):
    tasks = synth.config.tasks
    backend.has_resource_properties(
        "AWS::ECS::TaskDefinition", {"Cpu": str(tasks.cpu), "Memory": str(tasks.memory_mib)}
    )
    backend.has_resource_properties("AWS::ECS::Service", {"DesiredCount": tasks.desired_count})
    backend.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"MinCapacity": tasks.min_capacity, "MaxCapacity": tasks.max_capacity},
    )
    for target in (tasks.cpu_target_percent, tasks.requests_per_target):
        backend.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": target}},
        )
    delay = {
        "Key": "deregistration_delay.timeout_seconds",
        "Value": str(tasks.deregistration_delay_seconds),
    }
    backend.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"TargetType": "ip", "TargetGroupAttributes": Match.array_with([delay])},
    )


def test_the_api_settings_reach_the_stage(synth, backend):
    api = synth.config.api
    backend.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": api.stage_name,
            "MethodSettings": [
                Match.object_like(
                    {
                        "ThrottlingRateLimit": api.throttle_rate_limit,
                        "ThrottlingBurstLimit": api.throttle_burst_limit,
                    }
                )
            ],
        },
    )


def test_gateway_errors_allow_credentials_as_the_service_does(synth, backend):
    credentials = "'true'" if synth.config.cors.allow_credentials else Match.absent()
    every_task_definition_sets(
        backend, {Env.ALLOW_CREDENTIALS: contract.encode_bool(synth.config.cors.allow_credentials)}
    )
    backend.all_resources_properties(
        "AWS::ApiGateway::GatewayResponse",
        {
            "ResponseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Credentials": credentials
            }
        },
    )


def test_the_nlb_forwards_to_the_services_alb_on_its_listener_port(synth, backend):
    alb = logical_id(synth.stacks.backend.container_service.load_balancer)
    backend.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"TargetType": "alb", "Targets": [{"Id": ref(alb), "Port": LISTENER_PORT}]},
    )
    backend.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"LoadBalancerArn": ref(alb), "Port": LISTENER_PORT},
    )


def test_the_api_url_output_is_the_stage_url(synth, backend):
    rest_api = logical_id(synth.stacks.backend.api.rest_api)
    url = [
        "https://",
        ref(rest_api),
        ".execute-api.",
        ref("AWS::Region"),
        ".",
        ref("AWS::URLSuffix"),
        f"/{synth.config.api.stage_name}",
    ]
    backend.has_output("ApiUrl", {"Value": {"Fn::Join": ["", url]}})


def test_every_log_group_of_the_app_keeps_events_for_the_configured_days(synth, network, backend):
    for template in (network, backend):
        template.all_resources_properties(
            "AWS::Logs::LogGroup", {"RetentionInDays": synth.config.logs.retention_days}
        )


# ---- edge and backend -> site --------------------------------------------------------------


def test_the_site_files_go_to_the_edges_bucket_and_invalidate_its_distribution(synth, edge, site):
    bucket, distribution = Capture(), Capture()
    edge_name = synth.stacks.edge.stack_name
    site.all_resources_properties(
        "Custom::CDKBucketDeployment", {"DestinationBucketName": stack_output(edge_name, bucket)}
    )
    site.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {**NO_CACHE, "DistributionId": stack_output(edge_name, distribution)},
    )
    assert_output(edge, bucket, ref(logical_id(synth.stacks.edge.edge.bucket)))
    assert_output(edge, distribution, ref(edge.get_resource_id("AWS::CloudFront::Distribution")))


def test_the_site_ships_every_file_of_frontend_once_and_only_the_entry_uncached(synth, site):
    frontend = ROOT / "frontend"
    sources = {p.relative_to(frontend).as_posix() for p in frontend.rglob("*") if p.is_file()}
    staged = synth.staged_files(synth.stacks.site)
    shipped: dict[str, set[str]] = {}
    for cache in ("no-cache", "public, max-age=300"):
        keys = Capture()
        site.has_resource_properties(
            "Custom::CDKBucketDeployment",
            {"SystemMetadata": {"cache-control": cache}, "SourceObjectKeys": keys},
        )
        shipped[cache] = set().union(*(staged[key] for key in keys.as_array()))
    assert shipped["no-cache"] == {ENTRY_FILE, RUNTIME_CONFIG_FILE}
    # A local config.json (pointing at a dev API) never ships; the generated one does.
    assert shipped["public, max-age=300"] == sources - {ENTRY_FILE, RUNTIME_CONFIG_FILE}


def test_the_entry_and_the_runtime_config_name_the_backends_api(synth, backend, site):
    # index.html's CSP allows the API's origin, config.json holds its stage URL; both refer to
    # the REST API of the backend stack (test_frontend_deployment checks the files themselves).
    rest_api = logical_id(synth.stacks.backend.api.rest_api)
    (output,) = backend.find_outputs("*", {"Value": ref(rest_api)})
    origin = [
        stack_output(synth.stacks.backend.stack_name, output),
        ".execute-api.",
        ref("AWS::Region"),
        ".",
        ref("AWS::URLSuffix"),
    ]
    stage = f"/{synth.config.api.stage_name}"
    expected = {
        ENTRY_FILE: {"Fn::Join": ["", ["https://", *origin]]},
        # A JSON string in config.json: the quotes belong to the substituted value.
        RUNTIME_CONFIG_FILE: {"Fn::Join": ["", ['"https://', *origin, f'{stage}"']]},
    }
    keys, markers = Capture(), Capture()
    site.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {**NO_CACHE, "SourceObjectKeys": keys, "SourceMarkers": markers},
    )
    staged = synth.staged_files(synth.stacks.site)
    found = {}
    for key, marker in zip(keys.as_array(), markers.as_array(), strict=True):
        (name,) = staged[key]
        (value,) = marker.values()
        found[name] = value
    assert found == expected


def test_the_smoke_check_finds_exactly_the_deployed_api_and_site_urls(synth):
    # `cdk deploy --outputs-file` writes {stack: {output: value}}; the smoke check must pick the
    # API and site outputs out of every output this app declares, unambiguously.
    outputs: dict[str, object] = {
        name.removesuffix(".template.json"): {
            output: f"value-of-{name}-{output}" for output in template.find_outputs("*")
        }
        for name, template in templates_in(synth.outdir).items()
    }
    api = find_output(outputs, "ApiUrl", "outputs.json")
    site = find_output(outputs, "SiteUrl", "outputs.json")
    assert api == f"value-of-{synth.stacks.backend.artifact_id}.template.json-ApiUrl"
    assert site == f"value-of-{synth.stacks.edge.artifact_id}.template.json-SiteUrl"
