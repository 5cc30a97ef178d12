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

from parsers.attachments import FormField

MAX_FIELDS = 2_000
MAX_DEPTH = 32
_UNCHECKED = {"Off", ""}


def as_text(value: Any) -> str:
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
        parts = [as_text(item) for item in value[:100]]
        return ", ".join(part for part in parts if part.strip())
    text = as_text(value).strip()
    return "" if text in _UNCHECKED else text


def form_field_lines(document: Any) -> list[str]:
    """One "FieldName: value" line per filled field (dotted names for nested fields)."""
    lines = []
    for field, name, _widgets in terminal_fields(document):
        value = _field_value(field["V"]) if "V" in field and name else ""
        if value:
            lines.append(f"{name}: {value}")
    return lines


_RADIO, _PUSHBUTTON = 1 << 15, 1 << 16


def _on_states(widget: dict[str, Any]) -> list[str]:
    """A checkbox or radio widget's "on" appearance names (everything but /Off)."""
    appearances = resolve1(widget.get("AP"))
    normal = resolve1(appearances.get("N")) if isinstance(appearances, dict) else None
    if not isinstance(normal, dict):
        return []
    names = [key.decode("latin-1") if isinstance(key, bytes) else str(key) for key in normal]
    return [name for name in names if name not in _UNCHECKED][:20]


def _page_of(widget: dict[str, Any], pages: dict[int, int]) -> int | None:
    reference = widget.get("P")
    objid = reference.objid if isinstance(reference, PDFObjRef) else None
    return pages.get(objid) if isinstance(objid, int) else None


def page_numbers(document: Any, max_pages: int) -> dict[int, int]:
    """Page object id → 1-based page number, for the first `max_pages` pages."""
    from pdfminer.pdfpage import PDFPage

    numbers: dict[int, int] = {}
    try:
        for index, page in enumerate(PDFPage.create_pages(document)):
            if index >= max_pages:
                break
            if isinstance(page.pageid, int):
                numbers[page.pageid] = index + 1
    except Exception:  # a broken page tree only costs the page numbers
        pass
    return numbers


def terminal_fields(document: Any) -> list[tuple[dict[str, Any], str, list[dict[str, Any]]]]:
    """(field, dotted name, its widgets) for every terminal field, with inherited FT/V/Ff/TU
    copied in: the one walk of the sender's field tree, bounded in fields, depth and cycles.
    `form_field_lines`, `form_fields` and the signature check all read it."""
    catalog = getattr(document, "catalog", None) or {}
    acroform = resolve1(catalog.get("AcroForm"))
    roots = resolve1(acroform.get("Fields")) if isinstance(acroform, dict) else None
    if not isinstance(roots, list):
        return []
    found: list[tuple[dict[str, Any], str, list[dict[str, Any]]]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str, dict[str, Any], int]] = [
        (root, "", {}, 0) for root in reversed(roots)
    ]
    visited = 0
    while stack and len(found) < MAX_FIELDS and visited < 10 * MAX_FIELDS:
        node, parent_name, inherited, depth = stack.pop()
        visited += 1
        if isinstance(node, PDFObjRef):
            if node.objid in seen:
                continue
            seen.add(node.objid)
        field = resolve1(node)
        if not isinstance(field, dict):
            continue
        merged = {**inherited, **{k: field[k] for k in ("FT", "V", "Ff", "TU") if k in field}}
        partial = as_text(field.get("T")).strip()
        name = f"{parent_name}.{partial}" if parent_name and partial else partial or parent_name
        kids = resolve1(field.get("Kids"))
        kid_fields = [resolve1(kid) for kid in kids[:200]] if isinstance(kids, list) else []
        named_kids = [kid for kid in kid_fields if isinstance(kid, dict) and "T" in kid]
        if named_kids and depth < MAX_DEPTH:
            stack.extend((kid, name, merged, depth + 1) for kid in reversed(kids))
            continue
        widgets = [kid for kid in kid_fields if isinstance(kid, dict)] or [field]
        found.append(({**field, **merged}, name, widgets))
    return found


def form_fields(document: Any, max_pages: int) -> list[FormField]:
    """The AcroForm's fields as `FormField`s: text, checkbox, radio (one per option), choice,
    and signature fields (value "signed" or "")."""
    pages = page_numbers(document, max_pages)
    fields: list[FormField] = []
    for field, name, widgets in terminal_fields(document):
        kind = as_text(field.get("FT"))
        label = " ".join(as_text(field.get("TU")).split()) or name
        page = next((p for p in (_page_of(w, pages) for w in widgets) if p), None)
        value = resolve1(field.get("V"))
        if kind == "Sig":
            fields.append(FormField(name, "signed" if value else "", None, "acroform", page))
        elif kind == "Btn":
            flags = resolve1(field.get("Ff"))
            flags = flags if isinstance(flags, int) else 0
            if flags & _PUSHBUTTON:
                continue
            chosen = as_text(value).strip()
            options = [state for widget in widgets for state in _on_states(widget)]
            if flags & _RADIO and options:
                fields.extend(
                    FormField(label, option, option == chosen, "acroform", page)
                    for option in dict.fromkeys(options)
                )
            else:
                on = options[0] if options else (chosen or "Yes")
                fields.append(FormField(label, on, chosen not in _UNCHECKED, "acroform", page))
        elif kind in ("Tx", "Ch"):
            fields.append(FormField(label, _field_value(value), None, "acroform", page))
        if len(fields) >= MAX_FIELDS:
            break
    return fields
