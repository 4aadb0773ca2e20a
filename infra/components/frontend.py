"""The site's edge: a private bucket and CloudFront in front of it (deploys before the API)."""

from __future__ import annotations

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import checkov, csp
from infra.components.log_bucket import LogBucket
from infra.config import LogSettings, SiteSettings
from infra.nag import acknowledge

# The SPA's entry point: the distribution's root object and its client-side route fallback.
ENTRY_FILE = "index.html"
# The service's routes, which `ingress=same-origin` serves from the site's own distribution.
API_PATH_PATTERN = "/api/*"
# Same-origin only: a client-side route (a path whose last segment has no file extension) is
# answered with the app shell. It replaces the distribution-wide error responses, which would
# also turn the API's own 403/404 into the shell's 200.
SPA_ROUTES_FUNCTION = "\n".join(
    [
        "function handler(event) {",
        "  var request = event.request;",
        "  var last = request.uri.split('/').pop();",
        "  if (last.indexOf('.') === -1) {",
        f"    request.uri = '/{ENTRY_FILE}';",
        "  }",
        "  return request;",
        "}",
    ]
)


class FrontendEdge(Construct):
    """Private bucket + CloudFront (OAC). Knows nothing about the API, so it can deploy first.

    Args:
        settings: the site's custom domain and certificate, if any (see SiteSettings).
        logs: how long the access logs (S3 and CloudFront) are kept.
        web_acl_arn: the ARN of a CLOUDFRONT-scope WAF web ACL (us-east-1) for the
            distribution. Default None: no web ACL, and cdk-nag's CFR2 finding is acknowledged.
        encryption_key: a customer managed key for the site bucket (app:kms); SSE-KMS with
            S3 bucket keys. The access-log bucket keeps SSE-S3, the only encryption
            CloudFront's standard logs can be written to. Default: None (SSE-S3).
        api_sources: what the CSP header lets pages connect to besides the site, when the API's
            origin is known at synth (a public ALB's own domain). Default None: every API
            Gateway endpoint of the Region.
        api_load_balancer: the internal ALB to serve under `/api/*` of this distribution
            through a CloudFront VPC origin (`ingress=same-origin`): caching off, every method,
            every viewer header but Host; the SPA fallback then becomes a viewer-request
            function on the site's own behaviour. Default None: the site only.

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
        web_acl_arn: str | None = None,
        encryption_key: kms.IKey | None = None,
        api_sources: str | None = None,
        api_load_balancer: elbv2.IApplicationLoadBalancer | None = None,
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
            # With a key CDK's OAC origin lets CloudFront decrypt: it adds a key policy statement
            # for any distribution of this account (the distribution's own ARN would be a cycle).
            encryption=(
                s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED
            ),
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption_key else None,
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
                        api_sources or csp.execute_api_sources(Aws.REGION, Aws.URL_SUFFIX)
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
        spa_routes: list[cloudfront.FunctionAssociation] | None = None
        api_behaviors: dict[str, cloudfront.BehaviorOptions] | None = None
        if api_load_balancer is not None:
            spa_fallback = []
            self.spa_routes = cloudfront.Function(
                self,
                "SpaRoutes",
                code=cloudfront.FunctionCode.from_inline(SPA_ROUTES_FUNCTION),
                runtime=cloudfront.FunctionRuntime.JS_2_0,
                comment="Client-side routes get the app shell; /api/* never comes here",
            )
            spa_routes = [
                cloudfront.FunctionAssociation(
                    function=self.spa_routes,
                    event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                )
            ]
            api_behaviors = {
                API_PATH_PATTERN: cloudfront.BehaviorOptions(
                    origin=origins.VpcOrigin.with_application_load_balancer(
                        api_load_balancer,
                        http_port=80,
                        protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY,
                    ),
                    # HTTPS only: a redirect would turn a POST into a GET.
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=(
                        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                    ),
                    response_headers_policy=self.headers,
                    compress=False,
                )
            }
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
                function_associations=spa_routes,
            ),
            additional_behaviors=api_behaviors,
            error_responses=spa_fallback or None,
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
            web_acl_id=web_acl_arn,
        )
        if encryption_key is not None:
            # CDK's OAC origin warns on the key's parent construct.
            Annotations.of(encryption_key.node.scope or encryption_key).acknowledge_warning(
                "@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac",
                "The key lets CloudFront decrypt for any distribution of this account: naming "
                "this distribution would make key, bucket and distribution a cycle (README).",
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
        if web_acl_arn is None:
            no_waf = (
                "Static files only, no dynamic origin behind this distribution; a web ACL costs "
                "money every month, so it is the operator's choice (app:cloudFrontWaf=true in "
                "us-east-1, see README)."
            )
            acknowledge(self.distribution, "AwsSolutions-CFR2", no_waf)
            checkov.skip(self.distribution, "CKV_AWS_68", no_waf)
        if certificate is None:
            default_certificate = (
                "Without a custom domain CloudFront serves its own *.cloudfront.net certificate, "
                "whose viewer TLS policy cannot be raised; set siteDomainName and "
                "siteCertificateArn to enforce TLSv1.2_2021."
            )
            acknowledge(self.distribution, "AwsSolutions-CFR4", default_certificate)
            checkov.skip(self.distribution, "CKV_AWS_174", default_certificate)
