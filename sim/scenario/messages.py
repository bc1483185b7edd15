"""The messages a user reads when a scenario (or any input table) is refused.

Owns how pydantic's validation errors become one line that names the file, the dotted key as the
user wrote it (not pydantic's location with its union tags), the value, and what is allowed: the
keys a table allows for an unknown key, the types of a union for an unknown tag, the range for a
value out of it, and the keys of any further problems.

Example:
    >>> dotted_key(("firms", "us", "price")), dotted_key(("sweep", "keys", "firms.us.budget"))
    ('firms.us.price', 'sweep.keys."firms.us.budget"')
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.values import show

_TYPE_ERRORS = {"list_type", "dict_type", "model_type", "model_attributes_type", "float_type", "int_type"}


def format_errors(
    error: ValidationError,
    source: str,
    data: Mapping[str, Any],
    model: type[BaseModel],
    indexed: bool = False,
) -> str:
    """One line: the first problem in full (file, dotted key, value, what is allowed), then the
    keys of any others (fix one, validate again). ``model`` is the table ``data`` was validated
    as (for the keys an unknown key's table allows); ``indexed`` writes a position in an array of
    tables as ``targets[2]`` (else ``targets.2``).

    Example:
        >>> from pydantic import ValidationError
        >>> from sim.scenario.market import RunConfig
        >>> try:
        ...     RunConfig.model_validate({"weeks": 0, "seeed": 1})
        ... except ValidationError as error:
        ...     print(format_errors(error, "my.toml", {"weeks": 0, "seeed": 1}, RunConfig))
        my.toml: weeks = 0: Input should be greater than or equal to 1 (and 1 more: seeed)
    """
    problems: dict[str, tuple[bool, str]] = {}  # dotted key -> (a type mismatch only, its line)
    for item in error.errors():
        loc = strip_union_tags(item["loc"], data)
        dotted = dotted_key(loc, indexed) or "(top level)"
        if item["type"] == "extra_forbidden":
            allowed = allowed_keys(model, item["loc"][:-1])
            parent = dotted_key(loc[:-1], indexed)
            where = f"[{parent}]" if parent else "the top level"
            line = (
                f"{source}: {dotted} = {show(item['input'])}: unknown key; "
                f"allowed keys in {where}: {', '.join(allowed)}"
            )
        elif item["type"] == "union_tag_invalid":
            context = item.get("ctx", {})
            line = (
                f"{source}: {dotted}.{context.get('discriminator', 'type').strip(chr(39))} = "
                f"{context.get('tag')!r}: not a known type; allowed: {context.get('expected_tags')}"
            )
        elif item["type"] == "missing":
            line = f"{source}: {dotted}: required key is missing"
        else:
            message = item["msg"].removeprefix("Value error, ")
            if not loc:  # a check across tables: its message names the keys itself
                line = f"{source}: {message}"
            elif _names_its_key(message) and isinstance(lookup(data, loc, None), Mapping):
                # a table's check that names the key inside it ("shares.x = 0.5: ..."): one key path
                line = f"{source}: {dotted}.{message}"
            else:
                line = f"{source}: {dotted} = {show(lookup(data, loc, item.get('input')))}: {message}"
        mismatch = item["type"] in _TYPE_ERRORS
        if dotted not in problems or (problems[dotted][0] and not mismatch):
            problems[dotted] = (mismatch, line)
    lines = [line for _, line in problems.values()]
    more = list(problems)[1:]
    if more:
        shown = ", ".join(more[:5]) + (", ..." if len(more) > 5 else "")
        return f"{lines[0]} (and {len(more)} more: {shown})"
    return lines[0]


def _names_its_key(message: str) -> bool:
    """Whether a message starts with the key it is about and its value (``key.sub = value: ...``)."""
    return re.match(r"^[A-Za-z_][\w.]* = ", message) is not None


def dotted_key(parts: tuple[Any, ...], indexed: bool = False) -> str:
    """A location as a TOML dotted key: bare parts as they are, others quoted (``a."b c".d``), so
    that a key holding a control character or a dot cannot break or fake the message; with
    ``indexed``, a position in an array as ``[2]`` after its key."""
    text = ""
    for p in parts:
        if indexed and isinstance(p, int):
            text += f"[{p}]"
            continue
        bare = isinstance(p, int) or (
            str(p) and all(c.isascii() and (c.isalnum() or c in "_-") for c in str(p))
        )
        text += ("." if text else "") + (str(p) if bare else json.dumps(str(p), ensure_ascii=False))
    return text


def lookup(data: Any, loc: tuple[Any, ...], fallback: Any) -> Any:
    for part in loc:
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        ):
            data = data[part]
        else:
            return fallback
    return data


_NETWORK_TAGS = {
    "watts_strogatz",
    "barabasi_albert",
    "erdos_renyi",
    "powerlaw_cluster",
    "complete",
    "edge_list",
    "random_regular",
    "configuration",
    "sbm",
}


def strip_union_tags(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """The location as the user wrote it: pydantic puts the member of a union it tried into the
    location (``network.watts_strogatz.rewire``, ``sweep.keys.x.list[any]``); users never wrote it."""
    out = []
    node = data
    for index, part in enumerate(loc):
        written = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        tag = isinstance(part, str) and (
            "[" in part
            or part[:1].isupper()
            or (index == 1 and loc[0] == "network" and part in _NETWORK_TAGS)
        )
        # a tag pydantic added, or a key inside a value the user wrote as a plain number (a
        # trait's ``value``, filled in by the constant distribution it stands for)
        if not written and (tag or (node is not None and not isinstance(node, dict | list))):
            continue
        out.append(part)
        node = node[part] if written else None
    return tuple(out)


def allowed_keys(model: Any, raw_parent: tuple[Any, ...]) -> list[str]:
    """Names of the keys the table at ``raw_parent`` (pydantic's location) of ``model`` may hold."""
    for part in raw_parent:
        if get_origin(model) is Union:
            model = next((m for m in map(unwrap, get_args(model)) if _tagged(m, part)), None)
            continue
        model = child_type(model, part)
        if model is None:
            return []
    if get_origin(model) is Union:
        models = [m for m in map(unwrap, get_args(model)) if isinstance(m, type) and issubclass(m, BaseModel)]
        if all("type" in m.model_fields for m in models):
            return ["type", "... (the keys depend on the network type; see docs/scenario.md)"]
        return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [name for name in model.model_fields if name != "source"]
    return []


def _tagged(model: Any, tag: Any) -> bool:
    """Whether ``tag`` (a part of pydantic's location) names ``model`` as a member of a union: by
    its ``type`` (the network types) or by its class name (the forms of a varied key)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return False
    if "type" in model.model_fields:
        field = model.model_fields["type"]
        return field.default == tag or tag in get_args(field.annotation)
    return model.__name__ == tag


def child_type(model: Any, part: Any) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel):
        field = model.model_fields.get(part)
        return None if field is None else unwrap(field.annotation)
    if get_origin(model) is dict:
        return unwrap(get_args(model)[1])
    if get_origin(model) is list and isinstance(part, int):
        return unwrap(get_args(model)[0])
    return None


def unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional; a union of several models is kept as it is."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return unwrap(get_args(annotation)[0])
    if origin is Union or isinstance(annotation, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return unwrap(members[0])
        return Union[tuple(members)]  # noqa: UP007
    return annotation
