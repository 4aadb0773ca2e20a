"""An AWS WAF web ACL whose every block is a readable 403 carrying CORS headers for the site.

There is no L2 construct for WAFv2; this is the L1 `CfnWebACL`. How it decides:

1. Two rate-based rules count each client address's requests over 5 minutes and block it above
   `wafRateLimit`: one for CORS preflights (OPTIONS), one for everything else. API Gateway's
   stage throttle is shared by all clients; this limit is per address.
2. AWS's managed rule groups (IP reputation, known bad inputs, the core rule set) run in Count
   mode and only label what they would block; the next rule blocks on those labels. A managed
   group blocks with WAF's own bare 403: a custom response belongs to a rule's own Block
   action, and a group's rules can only be overridden one by one, by name, while AWS adds
   rules to its groups. Counting a managed group and acting on its labels in a later rule is
   AWS's documented pattern (WAF developer guide: "Web request labeling", "Label match rule
   statement", and "Rate limit the requests with specific labels", which counts the IP list's
   DDoS rule this way), and it keeps working when a group gains rules.
3. Everything else is allowed.

Why preflights are never blocked by the managed-rule labels and have a rate rule of their own:
a browser never shows the page a failed preflight's answer, only a CORS error. Letting the
preflight through (the service's CORS middleware answers it before any route runs) makes the
real request arrive, and that one gets the readable 403. Browsers cache preflights
(CORS_MAX_AGE), so a legitimate page sends far fewer preflights than requests and meets the
request limit first; a client flooding OPTIONS meets the preflight limit.

The custom response's headers are sent as written. AWS WAF prefixes `x-amzn-waf-` only to the
request headers it inserts for Allow and Count actions (developer guide, "Inserting custom
request headers for non-blocking actions", customizing-the-incoming-request.html); for a Block
action's custom response you "can specify any header name except for content-type", which the
body's content type sets ("Sending custom responses for Block actions",
customizing-the-response-for-blocked-requests.html, whose redirect use case relies on a plain
`Location` header; the WAFv2 API's CustomResponse.ResponseHeaders says the same).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from typing import Final

from aws_cdk import Aws, CfnRule, CfnRuleAssertion, Fn, Names
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra import checkov
from infra.config.waf import CLOUDFRONT_REGION, RATE_WINDOW_SECONDS, WafSettings

Waf = wafv2.CfnWebACL

# (rule name, managed group name, labels blocked), in evaluation order. A group's label
# namespace blocks whatever any of its rules would block (every rule of these two blocks by
# AWS's default); the IP list's DDoS rule only counts by AWS's default, so only the list's two
# blocking rules are named and the DDoS list keeps counting.
MANAGED_GROUPS: Final[tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]] = (
    (
        "AwsIpReputation",
        "AWSManagedRulesAmazonIpReputationList",
        (
            ("LABEL", "awswaf:managed:aws:amazon-ip-list:AWSManagedIPReputationList"),
            ("LABEL", "awswaf:managed:aws:amazon-ip-list:AWSManagedReconnaissanceList"),
        ),
    ),
    (
        "AwsKnownBadInputs",
        "AWSManagedRulesKnownBadInputsRuleSet",
        (("NAMESPACE", "awswaf:managed:aws:known-bad-inputs:"),),
    ),
    (
        "AwsCommonRuleSet",
        "AWSManagedRulesCommonRuleSet",
        (("NAMESPACE", "awswaf:managed:aws:core-rule-set:"),),
    ),
)
BLOCKED_BODY: Final = "blocked"
RATE_LIMITED_BODY: Final = "rate-limited"
BODIES: Final = {
    BLOCKED_BODY: {"message": "Request blocked by the web application firewall"},
    RATE_LIMITED_BODY: {
        "message": "Too many requests from your address; the web application firewall blocks "
        "them for a few minutes"
    },
}
BLOCK_STATUS: Final = 403


class AclScope(Enum):
    """Where a web ACL can be used: regional resources, or CloudFront (created in us-east-1)."""

    REGIONAL = "REGIONAL"
    CLOUDFRONT = "CLOUDFRONT"


class WebAcl(Construct):
    """A WAF web ACL: managed rule groups, a per-address rate limit, readable CORS-aware blocks.

    Args:
        settings: the per-address rate limit (see WafSettings).
        acl_scope: REGIONAL (API Gateway stages, load balancers) or CLOUDFRONT (a distribution; the
            template then refuses any Region but us-east-1 before creating anything).
        protected: construct id -> ARN of each regional resource to protect, e.g. the API
            stage's ARN (its Ref makes each association wait for the stage) and, when that
            ingress exists, a public ALB's. Default: none. Must be empty for CLOUDFRONT, since
            a distribution names its web ACL itself (its ``web_acl_id``).
        cors_origin: the one origin the block response allows (the site's), never an echo of
            the request's. Default None: no CORS headers, for the site's own distribution,
            whose pages are same-origin.
        allow_credentials: whether the block response allows credentials, as the service does.
            Default False.

    Attributes:
        web_acl: the ``AWS::WAFv2::WebACL``; arn: its ARN.
        associations: construct id -> its ``AWS::WAFv2::WebACLAssociation``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: WafSettings,
        acl_scope: AclScope,
        protected: Mapping[str, str] | None = None,
        cors_origin: str | None = None,
        allow_credentials: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        protected = dict(protected or {})
        if acl_scope is AclScope.CLOUDFRONT and protected:
            raise ValueError("a CloudFront web ACL is attached by the distribution's web_acl_id")
        self._headers = _cors_headers(cors_origin, allow_credentials)
        limit = settings.rate_limit
        # WAF evaluates rules by ascending priority; the label rule must follow the groups.
        rules = [
            self._rate_rule(0, "RateLimitPerAddress", _not(_preflight()), limit),
            self._rate_rule(1, "RateLimitPreflightsPerAddress", _preflight(), limit),
            *(
                _managed_rule(2 + index, name, group)
                for index, (name, group, _) in enumerate(MANAGED_GROUPS)
            ),
            self._label_rule(2 + len(MANAGED_GROUPS)),
        ]
        self.web_acl = Waf(
            self,
            "WebAcl",
            scope=acl_scope.value,
            description="Managed rule groups and a per-address rate limit, every block a JSON 403",
            default_action=Waf.DefaultActionProperty(allow={}),
            custom_response_bodies={
                key: Waf.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=json.dumps(body)
                )
                for key, body in BODIES.items()
            },
            rules=rules,
            # The ACL's name is generated (one per environment); so is its metric name, which
            # CloudWatch's WAF metrics use as the WebACL dimension.
            visibility_config=_visibility(Names.unique_resource_name(self, max_length=128)),
        )
        checkov.skip(
            self.web_acl,
            "CKV_AWS_192",
            "Known-bad-inputs (its Log4JRCE rule included) runs in Count and the label rule "
            "blocks every label of its namespace; checkov reads only the group's own action.",
        )
        self.arn = self.web_acl.attr_arn
        self.associations = {
            name: wafv2.CfnWebACLAssociation(self, name, resource_arn=arn, web_acl_arn=self.arn)
            for name, arn in protected.items()
        }
        if acl_scope is AclScope.CLOUDFRONT:
            CfnRule(
                self,
                "CloudFrontAclRegion",
                assertions=[
                    CfnRuleAssertion(
                        assert_=Fn.condition_equals(Aws.REGION, CLOUDFRONT_REGION),
                        assert_description=f"CloudFront web ACLs can only be created in "
                        f"{CLOUDFRONT_REGION}; deploy this app there or set "
                        "app:cloudFrontWaf=false.",
                    )
                ],
            )

    def _block(self, body_key: str) -> Waf.RuleActionProperty:
        return Waf.RuleActionProperty(
            block=Waf.BlockActionProperty(
                custom_response=Waf.CustomResponseProperty(
                    response_code=BLOCK_STATUS,
                    custom_response_body_key=body_key,
                    response_headers=self._headers,
                )
            )
        )

    def _rate_rule(
        self, priority: int, name: str, scope_down: Waf.StatementProperty, limit: int
    ) -> Waf.RuleProperty:
        return Waf.RuleProperty(
            name=name,
            priority=priority,
            statement=Waf.StatementProperty(
                rate_based_statement=Waf.RateBasedStatementProperty(
                    # The address the request comes from: API Gateway and an internet-facing
                    # ALB see the client's own (behind CloudFront, it would be CloudFront's).
                    aggregate_key_type="IP",
                    limit=limit,
                    evaluation_window_sec=RATE_WINDOW_SECONDS,
                    scope_down_statement=scope_down,
                )
            ),
            action=self._block(RATE_LIMITED_BODY),
            visibility_config=_visibility(name),
        )

    def _label_rule(self, priority: int) -> Waf.RuleProperty:
        labels = [
            Waf.StatementProperty(
                label_match_statement=Waf.LabelMatchStatementProperty(scope=scope, key=key)
            )
            for _, _, matches in MANAGED_GROUPS
            for scope, key in matches
        ]
        name = "BlockManagedRuleMatches"
        return Waf.RuleProperty(
            name=name,
            priority=priority,
            statement=Waf.StatementProperty(
                and_statement=Waf.AndStatementProperty(
                    statements=[
                        _not(_preflight()),
                        Waf.StatementProperty(
                            or_statement=Waf.OrStatementProperty(statements=labels)
                        ),
                    ]
                )
            ),
            action=self._block(BLOCKED_BODY),
            visibility_config=_visibility(name),
        )


def _managed_rule(priority: int, name: str, group: str) -> Waf.RuleProperty:
    return Waf.RuleProperty(
        name=name,
        priority=priority,
        # AWS's default version of the group, which AWS keeps up to date.
        statement=Waf.StatementProperty(
            managed_rule_group_statement=Waf.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=group
            )
        ),
        # Count: the group only labels what it would block; the label rule blocks it.
        override_action=Waf.OverrideActionProperty(count={}),
        visibility_config=_visibility(name),
    )


def _cors_headers(
    origin: str | None, allow_credentials: bool
) -> list[Waf.CustomHTTPHeaderProperty] | None:
    if origin is None:
        return None
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    return [Waf.CustomHTTPHeaderProperty(name=k, value=v) for k, v in headers.items()]


def _preflight() -> Waf.StatementProperty:
    return Waf.StatementProperty(
        byte_match_statement=Waf.ByteMatchStatementProperty(
            field_to_match=Waf.FieldToMatchProperty(method={}),
            positional_constraint="EXACTLY",
            search_string="OPTIONS",
            text_transformations=[Waf.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def _not(statement: Waf.StatementProperty) -> Waf.StatementProperty:
    return Waf.StatementProperty(not_statement=Waf.NotStatementProperty(statement=statement))


def _visibility(metric_name: str) -> Waf.VisibilityConfigProperty:
    return Waf.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True,
        metric_name=metric_name,
        sampled_requests_enabled=True,
    )
