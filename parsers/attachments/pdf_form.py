"""AcroForm field values of a fillable PDF, as "FieldName: value" lines.

This module's single job is walking a PDF's form-field tree (pdfminer's document, as
pdfplumber exposes it) and printing each filled-in value. Applicants often type their
answers into a fillable application form; those answers live in the fields' /V entries and
not in the page content, so a text layer alone would look like an empty form. The walk is
bounded (field count, tree depth, cycle check) because the tree comes from the sender.
"""

from __future__ import annotations

from typing import Any

from pdfminer.pdftypes import PDFObjRef, resolve1
from pdfminer.psparser import PSLiteral
from pdfminer.utils import decode_text

MAX_FIELDS = 2_000
MAX_DEPTH = 32
_UNCHECKED = {"Off", ""}


def _as_text(value: Any) -> str:
    """A PDF string or name as text: UTF-16 (with BOM) or PDFDocEncoding."""
    value = resolve1(value)
    if isinstance(value, bytes):
        return decode_text(value)
    if isinstance(value, PSLiteral):
        name = value.name
        return name.decode("latin-1") if isinstance(name, bytes) else str(name)
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return ""


def _field_value(value: Any) -> str:
    value = resolve1(value)
    if isinstance(value, list):
        parts = [_as_text(item) for item in value[:100]]
        return ", ".join(part for part in parts if part.strip())
    text = _as_text(value).strip()
    return "" if text in _UNCHECKED else text


def form_field_lines(document: Any) -> list[str]:
    """One "FieldName: value" line per filled field (dotted names for nested fields)."""
    catalog = getattr(document, "catalog", None) or {}
    acroform = resolve1(catalog.get("AcroForm"))
    if not isinstance(acroform, dict):
        return []
    roots = resolve1(acroform.get("Fields"))
    if not isinstance(roots, list):
        return []
    lines: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str, int]] = [(root, "", 0) for root in reversed(roots)]
    visited = 0
    while stack and len(lines) < MAX_FIELDS and visited < 10 * MAX_FIELDS:
        node, parent_name, depth = stack.pop()
        visited += 1
        if isinstance(node, PDFObjRef):
            if node.objid in seen:
                continue
            seen.add(node.objid)
        field = resolve1(node)
        if not isinstance(field, dict):
            continue
        partial = _as_text(field.get("T")).strip()
        name = f"{parent_name}.{partial}" if parent_name and partial else partial or parent_name
        if "V" in field and name:
            value = _field_value(field["V"])
            if value:
                lines.append(f"{name}: {value}")
        kids = resolve1(field.get("Kids"))
        if isinstance(kids, list) and depth < MAX_DEPTH:
            stack.extend((kid, name, depth + 1) for kid in reversed(kids))
    return lines
