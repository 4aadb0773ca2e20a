"""How a setting is declared: one dataclass field made with `setting(...)`.

The field's type chooses its parser (bool, int, str, an Enum, a tuple of str, any of them
optional); its metadata holds the context key, the documentation, the bounds and any other rule
about that field alone. A settings group is a frozen dataclass of such fields deriving from
`Group`; its `relations()` checks what ties its fields together. Standard library only: app.py,
the README table and the tests use it without aws-cdk.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum
from typing import Any, Final, TypeVar

from service import contract

# Our keys live under this prefix so that CDK's own keys in cdk.json (feature flags such as
# "@aws-cdk/...", "aws:cdk:..." written by the CLI) can never collide with or trip validation.
PREFIX: Final = "app:"

T = TypeVar("T")
Check = Callable[[Any], None]
_NO_VALUE: Final[Any] = object()
_WHOLE: Final[Any] = object()


class ConfigError(ValueError):
    """One bad setting; str() is `<key>=<value>: <reason>` (or `<key>: <reason>`), one line."""

    def __init__(self, key: str, reason: str, *, value: Any = _NO_VALUE) -> None:
        self.key = key
        self.reason = reason
        self.value = None if value is _NO_VALUE else value
        self._given = value
        shown = key if value is _NO_VALUE else f"{key}={_show(value)}"
        super().__init__(f"{shown}: {reason}")

    def amended(self, more: str) -> ConfigError:
        """The same error with `more` after its reason."""
        return ConfigError(self.key, f"{self.reason}{more}", value=self._given)


class Invalid(ValueError):
    """Raised by a field's check to show one part of the value (an item of a list) in the error.

    A check may raise a plain ValueError too; the error then shows the whole value.
    """

    def __init__(self, reason: str, *, shown: Any) -> None:
        super().__init__(reason)
        self.shown = shown


def _show(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return contract.encode_bool(value)
    if isinstance(value, list | tuple):
        return ",".join(_show(item) for item in value)
    return str(value)


@dataclass(frozen=True, kw_only=True)
class Spec:
    """What a field's metadata says about it (see `setting`)."""

    key: str
    doc: str
    bounds: tuple[int | None, int | None] | None = None
    unit: str = ""
    why: str = ""
    allowed: str = ""
    check: Check | None = None

    @property
    def context_key(self) -> str:
        return PREFIX + self.key

    def bounds_text(self) -> str:
        if self.bounds is None:
            return ""
        low, high = self.bounds
        if low is not None and high is not None:
            text = f"{low}..{high}"
        elif low is not None:
            text = f"at least {low}"
        else:
            text = f"at most {high}"
        return f"{text}{self.unit}" + (f" ({self.why})" if self.why else "")

    def violation(self, value: Any) -> tuple[str, Any] | None:
        """(reason, part of the value to show) for a value breaking this field's own rules."""
        if self.bounds is not None and value is not None:  # an unset optional number passes
            low, high = self.bounds
            if (low is not None and value < low) or (high is not None and value > high):
                return f"must be {self.bounds_text()}", value
        if self.check is not None:
            try:
                self.check(value)
            except Invalid as exc:
                return str(exc), exc.shown
            except ValueError as exc:
                return str(exc), value
        return None


def setting(
    *,
    default: T,
    key: str,
    doc: str,
    bounds: tuple[int | None, int | None] | None = None,
    unit: str = "",
    why: str = "",
    allowed: str = "",
    check: Check | None = None,
) -> T:
    """A settings field: its default, context key (without `app:`) and documentation.

    Args:
        default: the value when the key is absent. Immutable (a tuple, not a list).
        key: the context key after the prefix, camelCase, e.g. ``"desiredCount"``.
        doc: what the setting does, for the README table (one or two sentences).
        bounds: inclusive (low, high) for a number, either side None for open. Default: none.
        unit: appended to the bounds in messages, e.g. ``" bytes"``. Default: none.
        why: where the bounds come from, shown with them. Default: none.
        allowed: the allowed values in words, when neither bounds nor the type say them.
        check: any other rule about this field alone; raises ValueError (or `Invalid`).
    """
    spec = Spec(key=key, doc=doc, bounds=bounds, unit=unit, why=why, allowed=allowed, check=check)
    result: T = field(default=default, metadata={"setting": spec})
    return result


# ---- parsing context values (JSON from cdk.json, strings from `-c key=value`) -------------


def _int(raw: Any) -> int:
    # bool is an int in Python; `true` for a count is a mistake, not 1.
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        return int(raw)
    raise ValueError("must be a whole number")


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        return contract.parse_bool(raw)
    raise ValueError("must be true or false")


def _str(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be a string")
    return raw


def _strings(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        # Commas separate items on the command line (`-c app:extraOrigins=a,b`).
        return tuple(contract.parse_list(raw))
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return tuple(raw)
    raise ValueError("must be a list or a comma-separated string")


def _enum(kind: type[Enum]) -> Callable[[Any], Enum]:
    def parse(raw: Any) -> Enum:
        for member in kind:
            if raw == member.value:
                return member
        raise ValueError(f"must be one of {', '.join(str(m.value) for m in kind)}")

    return parse


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse_optional(raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        return parse(raw)

    return parse_optional


def parser_for(kind: Any) -> Callable[[Any], Any]:
    """The parser of a field's (resolved) type; TypeError for a type settings cannot have."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        rest = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if len(rest) == 1 and len(typing.get_args(kind)) == 2:
            return _optional(parser_for(rest[0]))
    if typing.get_origin(kind) is tuple and typing.get_args(kind) == (str, ...):
        return _strings
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _enum(kind)
    simple: dict[Any, Callable[[Any], Any]] = {bool: _bool, int: _int, str: _str}
    if kind in simple:
        return simple[kind]
    raise TypeError(f"a setting cannot have the type {kind!r}")


# ---- groups --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One field of a group: its name, type, default, metadata and parser."""

    name: str
    kind: Any
    default: Any
    spec: Spec
    parse_raw: Callable[[Any], Any]

    def parse(self, key: str, raw: Any) -> Any:
        try:
            return self.parse_raw(raw)
        except ValueError as exc:
            raise ConfigError(key, str(exc), value=raw) from None


_ENTRIES: Final[dict[type, tuple[Entry, ...]]] = {}


def entries(group: type[Group]) -> tuple[Entry, ...]:
    """Every field of a group with its metadata; TypeError if one was not made with setting()."""
    if group not in _ENTRIES:
        _ENTRIES[group] = _entries(group)
    return _ENTRIES[group]


def _entries(group: type[Group]) -> tuple[Entry, ...]:
    hints = typing.get_type_hints(group)
    found = []
    for item in fields(group):  # type: ignore[arg-type]
        spec = item.metadata.get("setting")
        if not isinstance(spec, Spec) or item.default is MISSING:
            raise TypeError(f"{group.__name__}.{item.name} is not declared with setting()")
        kind = hints[item.name]
        found.append(Entry(item.name, kind, item.default, spec, parser_for(kind)))
    return tuple(found)


class Group:
    """Base of a settings group: a frozen, keyword-only dataclass of `setting()` fields.

    Constructing one checks every field against its metadata, then `relations()`.
    """

    def __post_init__(self) -> None:
        for entry in entries(type(self)):
            found = entry.spec.violation(getattr(self, entry.name))
            if found is not None:
                reason, shown = found
                raise ConfigError(entry.spec.context_key, reason, value=shown)
        self.relations()

    def relations(self) -> None:
        """The rules tying this group's fields together; raise `self.invalid(...)`."""

    def invalid(self, name: str, reason: str, *, shown: Any = _WHOLE) -> ConfigError:
        """The error for field `name`, showing its value (or `shown`)."""
        spec = next(e.spec for e in entries(type(self)) if e.name == name)
        value = getattr(self, name) if shown is _WHOLE else shown
        return ConfigError(spec.context_key, reason, value=value)
