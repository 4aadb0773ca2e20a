"""Which environment a deployment is: its name (stack names, tags) and its settings block.

`app:envName` names the environment. `app:environments` in cdk.json holds one block per
environment, each a mapping of the same `app:` keys as the top level; the named block's values
apply under any key also given at the top level (CDK merges cdk.json's context and `-c` into
one flat mapping, so a top-level key in cdk.json wins over a block just as `-c` does). Standard
library only: app.py, the README table and the tests use it without aws-cdk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from infra.config.fields import PREFIX, ConfigError, Group, setting

ENV_NAME: Final = PREFIX + "envName"
ENVIRONMENTS: Final = PREFIX + "environments"
# Without an environment the stacks keep the names they had before environments existed, so
# a deployment made then is updated in place rather than duplicated.
STACK_PREFIX: Final = "CorsSafe"
PROJECT: Final = "cors-safe-stack"
NAME_RULE: Final = (
    "1-16 lower-case letters, digits and hyphens, starting and ending with a letter or digit"
)
_NAME: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?")


def _env_name(name: str | None) -> None:
    if name is not None and not _NAME.fullmatch(name):
        raise ValueError(f"must be {NAME_RULE}")


@dataclass(frozen=True, kw_only=True)
class EnvironmentSettings(Group):
    """The environment's name: its stack names, its tags and its settings block."""

    name: str | None = setting(
        default=None,
        key="envName",
        doc="Names the environment: its stacks become `CorsSafe-<name>-Network` (-Edge, "
        "-Backend, -Site), every resource is tagged `environment=<name>` and "
        f"`project={PROJECT}`, and the block of that name in `app:environments` applies. "
        "Unset: the stacks keep their names (`CorsSafeNetwork`, ...), untagged, no block.",
        allowed=f"{NAME_RULE}; a block of `app:environments`",
        check=_env_name,
    )

    def stack_name(self, part: str) -> str:
        """The stack name of `part` ("Network", "Edge", ...) in this environment.

        A valid CloudFormation stack name: it starts with a letter and holds only letters,
        digits and hyphens, at most 8 + 1 + 16 + 1 + len(part) characters.
        """
        if self.name is None:
            return f"{STACK_PREFIX}{part}"
        return f"{STACK_PREFIX}-{self.name}-{part}"

    @property
    def tags(self) -> dict[str, str]:
        """Tags for every resource; none without a name, so an older deployment is untouched."""
        if self.name is None:
            return {}
        return {"environment": self.name, "project": PROJECT}


@dataclass(frozen=True)
class Selection:
    """The flat settings of one environment and which of them its block supplied."""

    settings: dict[str, Any]
    env_name: str | None
    from_block: frozenset[str]

    def blame(self, error: ConfigError) -> ConfigError:
        """`error` naming the environment's block: as its place when the bad value came from
        it, else as the context a relation was broken in (the other value may be the block's).
        """
        if self.env_name is None:
            return error
        if error.key in self.from_block:
            return in_block(self.env_name, error)
        if self.from_block:
            return error.amended(f" (with {ENVIRONMENTS}.{self.env_name})")
        return error


def in_block(env: str, error: ConfigError) -> ConfigError:
    """`error` prefixed with the block it is about: `app:environments.dev: app:x=1: ...`."""
    return ConfigError(f"{ENVIRONMENTS}.{env}", str(error))


def blocks(raw: Any) -> dict[str, dict[str, Any]]:
    """The environment blocks of `app:environments` (none if absent), their shape checked."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(
            ENVIRONMENTS,
            'must be an object of environment blocks in cdk.json, e.g. {"dev": '
            '{"app:desiredCount": 1}}',
            value=raw,
        )
    found: dict[str, dict[str, Any]] = {}
    for env, block in raw.items():
        where = f"{ENVIRONMENTS}.{env}"
        if not isinstance(env, str) or not _NAME.fullmatch(env):
            raise ConfigError(where, f"an environment's name must be {NAME_RULE}")
        if not isinstance(block, Mapping):
            raise ConfigError(where, "must be an object of app: settings", value=block)
        if ENV_NAME in block:
            raise ConfigError(where, f"{ENV_NAME} cannot be set in a block; it chooses the block")
        if ENVIRONMENTS in block:
            raise ConfigError(where, f"{ENVIRONMENTS} cannot be nested")
        found[env] = dict(block)
    return found


def select(context: Mapping[str, Any], env_name: str | None) -> Selection:
    """Our top-level settings over the named environment's block; ConfigError if unknown.

    `env_name` is the parsed `app:envName` (None: no block applies).
    """
    top = {k: v for k, v in context.items() if k.startswith(PREFIX) and k != ENVIRONMENTS}
    if env_name is None:
        return Selection(settings=top, env_name=None, from_block=frozenset())
    known = blocks(context.get(ENVIRONMENTS))
    if env_name not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise ConfigError(
            ENV_NAME,
            f"unknown environment; known: {listed} (the blocks of {ENVIRONMENTS} in cdk.json)",
            value=env_name,
        )
    block = known[env_name]
    return Selection(
        settings={**block, **top},
        env_name=env_name,
        from_block=frozenset(set(block) - set(top)),
    )
