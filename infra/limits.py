"""The AWS limits and product ceilings the configuration is checked against, with their source.

Standard library only: the config, the constructs and the tests share these numbers.
"""

from __future__ import annotations

from typing import Final

# The VPC spans this many Availability Zones, with one public and one private subnet in each;
# CDK divides the VPC's CIDR evenly between the four, so each subnet is the VPC prefix + 2.
# The load balancers have subnets of their own in a second block (see the two below), so the
# private subnets hold the tasks alone.
AZ_COUNT: Final = 2
SUBNETS_PER_AZ: Final = 2
# AWS keeps the first four and the last address of every subnet.
RESERVED_ADDRESSES_PER_SUBNET: Final = 5
# An ALB's subnets must be /27 or larger (AWS: "at least a /27 bitmask"); the load-balancer
# block is halved into one subnet per AZ, so it is at most a /26. A block larger than /20
# would only take address space from other networks.
ALB_MIN_SUBNET_PREFIX: Final = 27
LOAD_BALANCER_BLOCK_PREFIXES: Final = (20, ALB_MIN_SUBNET_PREFIX - (AZ_COUNT - 1).bit_length())

# A product ceiling, not an AWS one: Fargate's per-account On-Demand vCPU quota usually stops
# far fewer tasks first, and running more than this needs a quota increase and a review of the
# design (one NAT gateway, two AZs), not a context flag.
MAX_TASKS: Final = 100
# ECS starts the new tasks of a deployment before stopping the old ones (maximum healthy 200%).
DEPLOYMENT_MAX_PERCENT: Final = 200

# API Gateway's default throttle quota per account and Region, shared by every API there: 10,000
# requests per second with a token bucket of 5,000 (2,500/1,250 in some newer Regions). A stage
# cannot get more than its account.
ACCOUNT_RATE_LIMIT: Final = 10_000
ACCOUNT_BURST_LIMIT: Final = 5_000

# ELB's range for a target group's deregistration delay.
MAX_DEREGISTRATION_DELAY_SECONDS: Final = 3600
# Fargate kills a container at most this long after SIGTERM.
MAX_STOP_TIMEOUT_SECONDS: Final = 120
# The smallest request-body limit that still fits the example API's JSON bodies with headroom.
MIN_BODY_BYTES: Final = 1024


def private_subnet_prefix(vpc_prefix: int) -> int:
    """Prefix length of each private subnet of a VPC with this prefix (see AZ_COUNT)."""
    subnets = AZ_COUNT * SUBNETS_PER_AZ
    return vpc_prefix + (subnets - 1).bit_length()


def max_tasks_for_vpc(vpc_prefix: int) -> int:
    """The most tasks whose deployment (old and new side by side) fits the private subnets."""
    per_subnet = (1 << (32 - private_subnet_prefix(vpc_prefix))) - RESERVED_ADDRESSES_PER_SUBNET
    return AZ_COUNT * per_subnet * 100 // DEPLOYMENT_MAX_PERCENT
