from __future__ import annotations

from pathlib import Path

import jsii
from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct, IConstruct, IValidation

from infra import csp
from infra.components.log_bucket import LogBucket
from infra.config import LogSettings, SiteSettings
from infra.nag import acknowledge, flatten_reference

# Files the SPA fetches on every load: they must never be served stale after a deploy.
RUNTIME_CONFIG_FILE = "config.json"
# The key the SPA reads from config.json (frontend/app.js: `config.apiUrl`).
RUNTIME_CONFIG_API_KEY = "apiUrl"
ENTRY_FILE = "index.html"


class FrontendEdge(Construct):
    """Private bucket + CloudFront (OAC). Knows nothing about the API, so it can deploy first.

    Args:
        settings: the site's custom domain and certificate, if any (see SiteSettings).
        logs: how long the access logs (S3 and CloudFront) are kept.

    Attributes:
        bucket: the private site bucket (CloudFront reads it through OAC).
        distribution: the CloudFront distribution.
        headers: its security headers policy (HSTS, CSP, frame and referrer policies).
        access_logs: the access-log bucket (S3 and CloudFront access logs).
        cloudfront_origin: ``https://<distribution domain>``, a deploy-time value.
        site_origin: the origin browsers load the site from (the custom domain if set).
        browser_origins: every origin the site is served from, the site's own first.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: SiteSettings,
        logs: LogSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = LogBucket(
            self, "AccessLogs", retention_days=logs.retention_days, acls_for_cloudfront=True
        )
        self.bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs.bucket,
            server_access_logs_prefix="s3/",
            # A versioned bucket is never empty, and emptying it on destroy would need another
            # custom-resource Lambda; `cdk destroy` leaves it behind (see README).
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30)),
            ],
        )
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Security headers for the SPA",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365),
                    include_subdomains=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    # This stack deploys before the API exists (the API needs the site's
                    # origin for CORS), so the header can only allow every REST API of the
                    # Region; index.html's own policy, written by the site stack once the API
                    # exists, narrows connect-src to that one API (see infra/csp.py).
                    content_security_policy=csp.header_policy(
                        csp.execute_api_sources(Aws.REGION, Aws.URL_SUFFIX)
                    ),
                    override=True,
                ),
            ),
        )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", settings.certificate_arn)
            if settings.certificate_arn
            else None
        )
        spa_fallback = [
            # S3 answers 403 for a missing key when the caller may not list the bucket; both
            # mean "a client-side route": serve the app shell.
            cloudfront.ErrorResponse(
                http_status=status,
                response_http_status=200,
                response_page_path=f"/{ENTRY_FILE}",
                ttl=Duration.seconds(10),
            )
            for status in (403, 404)
        ]
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="SPA",
            default_root_object=ENTRY_FILE,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
            ),
            error_responses=spa_fallback,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            # Only effective with a custom certificate (CloudFront's own is fixed at TLSv1).
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
            certificate=certificate,
            domain_names=[settings.domain_name] if settings.domain_name else None,
            enable_logging=True,
            log_bucket=self.access_logs.bucket,
            log_file_prefix="cloudfront/",
        )
        # The origin browsers send from this site, without a path (CORS compares it exactly).
        self.cloudfront_origin = f"https://{self.distribution.distribution_domain_name}"
        self.site_origin = (
            f"https://{settings.domain_name}" if settings.domain_name else self.cloudfront_origin
        )
        # With a custom domain the *.cloudfront.net name still serves the site.
        self.browser_origins: tuple[str, ...] = tuple(
            dict.fromkeys((self.site_origin, self.cloudfront_origin))
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The site is public worldwide by design; no geo restriction applies.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "Static files only, no dynamic origin behind this distribution; WAF belongs in "
            "front of the API if anywhere (cost decision, see README).",
        )
        if certificate is None:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "Without a custom domain CloudFront serves its own *.cloudfront.net certificate, "
                "whose viewer TLS policy cannot be raised; set siteDomainName and "
                "siteCertificateArn to enforce TLSv1.2_2021.",
            )


class FrontendDeployment(Construct):
    """Uploads the SPA, its index.html (CSP naming the API) and config.json, then invalidates.

    Args:
        bucket: the site bucket (FrontendEdge.bucket).
        distribution: the distribution to invalidate after the upload.
        source_dir: the SPA's files; its index.html holds the CSP placeholder.
        api_url: the API's base URL, written to config.json for the SPA.
        api_origin: the API's origin, which index.html's CSP allows to connect to.

    Attributes:
        assets: the upload of every file but index.html and config.json (cached briefly).
        entry: the upload of index.html and config.json (never cached), then invalidation.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        distribution: cloudfront.IDistribution,
        source_dir: Path,
        api_url: str,
        api_origin: str,
    ) -> None:
        super().__init__(scope, construct_id)
        # A locally generated config.json (pointing at a dev API) must never ship.
        self.assets = s3deploy.BucketDeployment(
            self,
            "Assets",
            destination_bucket=bucket,
            sources=[
                s3deploy.Source.asset(str(source_dir), exclude=[RUNTIME_CONFIG_FILE, ENTRY_FILE])
            ],
            # Two deployments share the bucket: pruning would delete each other's files.
            prune=False,
            # No build step means no content hashes in file names: cache briefly.
            cache_control=[s3deploy.CacheControl.from_string("public, max-age=300")],
        )
        self.entry = s3deploy.BucketDeployment(
            self,
            "EntryAndConfig",
            destination_bucket=bucket,
            sources=[
                # The API's origin is a deploy-time value: BucketDeployment substitutes it.
                s3deploy.Source.data(
                    ENTRY_FILE,
                    csp.render_entry(
                        (source_dir / ENTRY_FILE).read_text(encoding="utf-8"),
                        api_origin,
                    ),
                ),
                s3deploy.Source.json_data(RUNTIME_CONFIG_FILE, {RUNTIME_CONFIG_API_KEY: api_url}),
            ],
            prune=False,
            cache_control=[s3deploy.CacheControl.no_cache()],
            distribution=distribution,
            distribution_paths=["/*"],
        )
        # The entry point must not reference assets that are not uploaded yet.
        self.entry.node.add_dependency(self.assets)
        _suppress_bucket_deployment_handler(Stack.of(self), bucket)


def _suppress_bucket_deployment_handler(stack: Stack, bucket: s3.IBucket) -> None:
    # BucketDeployment shares one singleton Lambda per stack, created outside this construct's
    # scope, so its findings can only be addressed by its path in the stack.
    handler = next(
        child
        for child in stack.node.children
        if child.node.id.startswith("Custom::CDKBucketDeployment")
    )
    role = handler.node.find_child("ServiceRole")
    acknowledge(
        role,
        "AwsSolutions-IAM4",
        "CDK's BucketDeployment handler uses AWSLambdaBasicExecutionRole to write its own logs.",
        findings=[
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        ],
    )
    policy = role.node.find_child("DefaultPolicy")
    acknowledge(
        policy,
        "AwsSolutions-IAM5",
        "CDK's own grants for BucketDeployment: s3 action groups on objects of the CDK asset "
        "bucket and of this app's site bucket, and cloudfront:Create/GetInvalidation, which "
        "CDK's BucketDeployment grants on '*' rather than on this distribution.",
        findings=[
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-"
            "<AWS::Region>/*",
            "Resource::*",
        ],
    )
    policy.node.add_validation(_AcknowledgeSiteObjects(policy, bucket))

    acknowledge(
        handler.node.find_child("Resource"),
        "AwsSolutions-L1",
        "The runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib, not by this "
        "app; it moves forward by upgrading aws-cdk-lib.",
    )


@jsii.implements(IValidation)
class _AcknowledgeSiteObjects:
    """Acknowledges IAM5 for `<site bucket ARN>/*` once the cross-stack reference exists.

    cdk-nag names the finding after the rendered reference (an output of the edge stack whose
    name CDK derives during synthesis), so it can only be named after references are resolved;
    construct validations run at exactly that point, before cdk-nag's policy validation.
    """

    def __init__(self, policy: IConstruct, bucket: s3.IBucket) -> None:
        self._policy = policy
        self._bucket = bucket

    def validate(self) -> list[str]:
        rendered = Stack.of(self._policy).resolve(self._bucket.arn_for_objects("*"))
        acknowledge(
            self._policy,
            "AwsSolutions-IAM5",
            "CDK's BucketDeployment must write and delete any object of the site bucket.",
            findings=[f"Resource::{flatten_reference(rendered)}"],
        )
        return []
