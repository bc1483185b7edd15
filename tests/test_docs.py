"""docs/model.md documents every scenario key, with the default the code uses.

The parameter reference in docs/model.md has one section per scenario table, headed by the table's
name in backticks (e.g. "### `[behaviours.churn]`"), holding a Markdown table whose first column is
the key in backticks and whose "default" column is the default as a TOML literal in backticks
(or "unset" / "required"). These tests walk the pydantic models of sim/scenario.py, so a key added,
renamed or re-defaulted in the code without updating the documentation fails here.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim import scenario as schema

MODEL_MD = Path(__file__).resolve().parent.parent / "docs" / "model.md"


def _model_of(annotation: typing.Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds directly, in a dict's values or as Optional."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is dict:
        return _model_of(typing.get_args(annotation)[1])
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _model_of(members[0])
    return None


def scenario_tables() -> list[tuple[str, type[BaseModel]]]:
    """(label, model) for every table of scenario keys, e.g. ("[behaviours.churn]", ChurnConfig)."""
    found: list[tuple[str, type[BaseModel]]] = []

    def visit(path: str, annotation: typing.Any) -> None:
        members = [m for m in typing.get_args(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
        if len(members) > 1:  # the network: one table per type tag
            for member in members:
                tag = typing.get_args(member.model_fields["type"].annotation)[0]
                found.append((f'[{path}] type = "{tag}"', member))
            return
        model = _model_of(annotation)
        if model is None:
            return
        if model is schema.Dist:  # every persona trait takes the same distribution keys
            if ("[personas.<name>.<trait>]", model) not in found:
                found.append(("[personas.<name>.<trait>]", model))
            return
        optional = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = (
            optional[0]
            if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(optional) == 1
            else annotation
        )
        if typing.get_origin(inner) is dict:  # a table of named tables (optional or not)
            path += ".<name>"
        if any(_model_of(field.annotation) is None for field in model.model_fields.values()):
            found.append((f"[{path}]", model))  # not a table that only holds tables
        for name, field in model.model_fields.items():
            visit(f"{path}.{name}", field.annotation)

    for name, field in schema.Scenario.model_fields.items():
        if name != "source":  # where the scenario came from, not a key a user writes
            visit(name, field.annotation)
    return found


TABLES = scenario_tables()


def _sections() -> dict[str, str]:
    """Heading label (the text in backticks) -> the section's text, for ``###`` headings."""
    text = MODEL_MD.read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    parts = re.split(r"^(#{1,6} .*)$", text, flags=re.MULTILINE)
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        match = re.fullmatch(r"#{1,6} `(.+)`\s*", heading)
        if match:
            sections[match.group(1)] = body
    return sections


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _key_table(section: str) -> tuple[list[str], dict[str, list[str]]]:
    """Header and rows (key -> cells) of the first table in ``section`` whose first column is "key"."""
    lines = section.splitlines()
    for start, line in enumerate(lines):
        if line.startswith("|") and _cells(line)[0] == "key":
            rows: dict[str, list[str]] = {}
            for row in lines[start + 2 :]:
                if not row.startswith("|"):
                    break
                match = re.match(r"^`([A-Za-z_][A-Za-z0-9_]*)`$", _cells(row)[0])
                if match:
                    rows[match.group(1)] = _cells(row)
            return _cells(line), rows
    return [], {}


@pytest.fixture(scope="module")
def sections() -> dict[str, str]:
    assert MODEL_MD.exists(), f"{MODEL_MD} is missing"
    return _sections()


def _keys(model: type[BaseModel]) -> list[str]:
    return [name for name in model.model_fields if name != "source"]


def test_every_table_is_walked():
    labels = [label for label, _ in TABLES]
    expected = {"[run]", "[market]", '[network] type = "complete"', "[personas.<name>]", "[firms.<name>]"}
    expected |= {"[behaviours.churn]", "[levers.referral_programme]", "[personas.<name>.<trait>]"}
    assert expected <= set(labels), f"the schema walk missed {sorted(expected - set(labels))}"


@pytest.mark.parametrize(("label", "model"), TABLES, ids=[label for label, _ in TABLES])
def test_model_md_documents_every_key(label: str, model: type[BaseModel], sections: dict[str, str]):
    assert label in sections, f"docs/model.md has no section headed `{label}` for the {model.__name__} table"
    header, rows = _key_table(sections[label])
    assert header, f"docs/model.md: the section `{label}` has no table with a 'key' column"
    missing = [key for key in _keys(model) if key not in rows]
    stale = [key for key in rows if key not in model.model_fields]
    problems = [f"docs/model.md does not document {label} key `{key}`" for key in missing]
    problems += [
        f"docs/model.md documents {label} key `{key}`, which the schema does not have" for key in stale
    ]
    assert not problems, "\n".join(problems)


def _documented_default(cell: str) -> typing.Any:
    if cell in ("unset", "required"):
        return cell
    match = re.fullmatch(r"`(.*)`", cell)
    assert match, f"default cell {cell!r} is not a TOML literal in backticks, 'unset' or 'required'"
    return tomllib.loads(f"value = {match.group(1)}")["value"]


def _code_default(field: typing.Any) -> typing.Any:
    if field.is_required():
        return "required"
    value = field.default if field.default_factory is None else field.default_factory()
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    return value


@pytest.mark.parametrize(("label", "model"), TABLES, ids=[label for label, _ in TABLES])
def test_model_md_defaults_match_the_code(label: str, model: type[BaseModel], sections: dict[str, str]):
    header, rows = _key_table(sections.get(label, ""))
    assert "default" in header, f"docs/model.md: the section `{label}` has no key table with a default column"
    column = header.index("default")
    wrong = []
    for key in _keys(model):
        if key not in rows:
            continue  # reported by test_model_md_documents_every_key
        documented = _documented_default(rows[key][column])
        expected = _code_default(model.model_fields[key])
        if documented != expected:
            wrong.append(
                f"docs/model.md gives {label} key `{key}` the default {documented!r}; the code has {expected!r}"
            )
    assert not wrong, "\n".join(wrong)
