"""Smoke paths from an OpenAPI 3 document (JSON), so `smoke` checks the routes the API has.

The rules are deliberately few; the smoke run never invents a value:

- every GET whose parameters are all optional, or whose only required ones are path parameters
  with an example (the parameter's `example` or first `examples` entry, else its schema's);
- the first POST with a JSON request body (`application/json` or `…+json`) that has an example
  (the media type's `example` or first `examples` entry, else its schema's), sent with it.

Paths are taken as written and joined to the API URL (a stage prefix in it is kept); the
document's `servers` are not used. Only local references (`#/components/…`) are followed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cors_doctor.inputs import UsageError, check_url, parse_json, read_file
from cors_doctor.transport import Session, fetch_document

# FastAPI's schema of this service is about 10 KB; large public APIs publish a few MB.
MAX_OPENAPI_BYTES = 16 * 1024 * 1024
_MAX_REF_HOPS = 20  # a chain of $refs longer than this is a loop
_PLACEHOLDER = re.compile(r"\{([^{}/]*)\}")
_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


@dataclass(frozen=True)
class Operation:
    """One call the smoke run makes: path filled in, body and its type if it has one."""

    method: str
    path: str
    content_type: str | None = None
    body: bytes | None = None


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def load(source: str, client: Session) -> dict[str, Any]:
    """The document from a file or an http(s) URL; every way it can be wrong is one line."""
    if is_url(source):
        raw = _download(check_url(source), client)
    else:
        raw = read_file(
            source,
            MAX_OPENAPI_BYTES,
            not_found=f"OpenAPI file {source} not found",
            too_large=f"{source} is over {MAX_OPENAPI_BYTES} bytes; not an OpenAPI document",
        )
    document = parse_json(raw, source)
    if not isinstance(document, dict):
        raise UsageError(f"{source}: expected an OpenAPI document (a JSON object)")
    version = document.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.")):
        found = f"'openapi': {version!r}" if "openapi" in document else "no 'openapi' field"
        raise UsageError(f"{source}: expected an OpenAPI 3 document ({found})")
    return document


def _download(url: str, client: Session) -> bytes:
    status, body = fetch_document(client, url, MAX_OPENAPI_BYTES)
    if not 200 <= status < 300:
        raise UsageError(
            f"{url} answered {status}, not an OpenAPI document (a deployed service serves none "
            "unless API_DOCS_ENABLED is on; pass the schema as a file)"
        )
    if body is None:
        raise UsageError(f"{url} sent its document in a content encoding the doctor cannot read")
    if len(body) > MAX_OPENAPI_BYTES:
        raise UsageError(f"{url} sent over {MAX_OPENAPI_BYTES} bytes; not an OpenAPI document")
    return body


def pick_operations(document: dict[str, Any], source: str) -> list[Operation]:
    """The GETs and the one JSON POST the module's rules allow, in the document's order."""
    spec = _Document(document, source)
    picked: list[Operation] = []
    post: Operation | None = None
    for template, item in spec.path_items():
        for method in ("get", "post"):
            if method not in item or (method == "post" and post is not None):
                continue
            where = f"paths.{template}.{method}"
            operation = spec.object(item[method], where)
            path = spec.filled_path(template, item, operation, where)
            if path is None:
                continue
            if method == "get":
                picked.append(Operation("GET", path))
            else:
                post = spec.json_post(path, operation, where)
    return picked + ([post] if post is not None else [])


class _Document:
    """Typed, located access to the parts of the document the rules read."""

    def __init__(self, document: dict[str, Any], source: str) -> None:
        self.document = document
        self.source = source

    def fail(self, where: str, problem: str) -> UsageError:
        return UsageError(f"{self.source}: {where} {problem}")

    def object(self, node: Any, where: str) -> dict[str, Any]:
        node = self.resolve(node, where)
        if not isinstance(node, dict):
            raise self.fail(where, "is not an object")
        return node

    def resolve(self, node: Any, where: str) -> Any:
        """Follow local $refs ('#/components/...') to the node they name."""
        for _ in range(_MAX_REF_HOPS):
            if not (isinstance(node, dict) and "$ref" in node):
                return node
            node = self._target(node["$ref"], where)
        raise self.fail(where, f"has a $ref chain longer than {_MAX_REF_HOPS} (a loop?)")

    def _target(self, ref: Any, where: str) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise self.fail(where, f"has $ref {ref!r}; only local '#/...' references are followed")
        node: Any = self.document
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            elif isinstance(node, dict) and key in node:
                node = node[key]
            else:
                raise self.fail(where, f"has $ref {ref!r}, which names nothing in the document")
        return node

    def path_items(self) -> list[tuple[str, dict[str, Any]]]:
        paths = self.document.get("paths")
        if not isinstance(paths, dict):
            raise self.fail("paths", "is missing or not an object")
        items: list[tuple[str, dict[str, Any]]] = []
        for template, item in paths.items():
            if not template.startswith("/"):
                raise self.fail(f"paths.{template}", "does not start with '/'")
            items.append((template, self.object(item, f"paths.{template}")))
        return items

    def parameters(
        self, item: dict[str, Any], operation: dict[str, Any], where: str
    ) -> list[dict[str, Any]]:
        """The operation's parameters over the path's, one per (name, in)."""
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for owner, at in ((item, where.rsplit(".", 1)[0]), (operation, where)):
            listed = owner.get("parameters", [])
            if not isinstance(listed, list):
                raise self.fail(f"{at}.parameters", "is not a list")
            for number, raw in enumerate(listed):
                parameter = self.object(raw, f"{at}.parameters[{number}]")
                name, kind = parameter.get("name"), parameter.get("in")
                if not isinstance(name, str) or not isinstance(kind, str):
                    raise self.fail(f"{at}.parameters[{number}]", "has no string 'name' and 'in'")
                merged[(name, kind)] = parameter
        return list(merged.values())

    def filled_path(
        self, template: str, item: dict[str, Any], operation: dict[str, Any], where: str
    ) -> str | None:
        """The path with its parameters filled from examples; None if the rules skip it."""
        values: dict[str, str] = {}
        for parameter in self.parameters(item, operation, where):
            if parameter["in"] == "path":
                value = self.example(parameter, where)
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    values[parameter["name"]] = quote(str(value), safe="")
            elif parameter.get("required") is True:
                return None  # a required query, header or cookie value: not invented
        names = _PLACEHOLDER.findall(template)
        if any(name not in values for name in names):
            return None
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)

    def example(self, node: dict[str, Any], where: str) -> Any:
        """A parameter's or media type's example, else its schema's; None if there is none."""
        found = self._own_example(node, where)
        if found is not None:
            return found
        schema = node.get("schema")
        if schema is None:
            return None
        return self._own_example(self.object(schema, f"{where}.schema"), where)

    def _own_example(self, node: dict[str, Any], where: str) -> Any:
        if node.get("example") is not None:
            return node["example"]
        examples = node.get("examples")
        if isinstance(examples, list) and examples:  # JSON Schema (OpenAPI 3.1) style
            return examples[0]
        if isinstance(examples, dict) and examples:  # OpenAPI Example Objects by name
            first = self.object(next(iter(examples.values())), f"{where}.examples")
            return first.get("value")
        return None

    def json_post(self, path: str, operation: dict[str, Any], where: str) -> Operation | None:
        if "requestBody" not in operation:
            return None
        body = self.object(operation["requestBody"], f"{where}.requestBody")
        content = body.get("content", {})
        if not isinstance(content, dict):
            raise self.fail(f"{where}.requestBody.content", "is not an object")
        for media_type, raw in content.items():
            if not _JSON_MEDIA.match(media_type.split(";", 1)[0].strip().lower()):
                continue
            at = f"{where}.requestBody.content.{media_type}"
            example = self.example(self.object(raw, at), at)
            if example is not None:
                return Operation("POST", path, media_type, json.dumps(example).encode())
        return None
