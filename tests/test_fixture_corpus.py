"""The committed corpus is exactly what the generator makes, and its labels follow the contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from tests.conftest import REPO

FIXTURES = REPO / "fixtures"


def test_regenerating_the_corpus_gives_the_committed_bytes(tmp_path: Path) -> None:
    out = tmp_path / "fixtures"
    subprocess.run(
        [sys.executable, str(FIXTURES / "generate.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    committed = sorted(p.relative_to(FIXTURES / "mail") for p in (FIXTURES / "mail").rglob("*.eml"))
    generated = sorted(p.relative_to(out / "mail") for p in (out / "mail").rglob("*.eml"))
    assert generated == committed
    changed = [
        str(rel) for rel in committed
        if (out / "mail" / rel).read_bytes() != (FIXTURES / "mail" / rel).read_bytes()
    ]  # fmt: skip
    assert not changed, f"{len(changed)} mails differ, e.g. {changed[:3]}: run `make fixtures`"
    generated_labels = [json.loads(x) for x in (out / "labels.jsonl").read_text().splitlines()]
    committed_labels = [json.loads(x) for x in (FIXTURES / "labels.jsonl").read_text().splitlines()]
    assert [{**g, "file": Path(g["file"]).parts[-2:]} for g in generated_labels] == [
        {**c, "file": Path(c["file"]).parts[-2:]} for c in committed_labels
    ]


def test_every_label_is_a_contract_verdict_for_an_existing_mail() -> None:
    schema = json.loads((REPO / "schema" / "triage-line.schema.json").read_text())
    labels = [json.loads(x) for x in (FIXTURES / "labels.jsonl").read_text().splitlines()]
    assert len(labels) >= 400
    for label in labels:
        assert (REPO / label["file"]).is_file(), label["file"]
        action = (
            "none"
            if label["auto_generated"]
            else ("request_missing" if label["missing"] else "acknowledge")
        )
        as_verdict = {
            **label,
            "message_id": None,
            "confidence": 1.0,
            "attachments": [],
            "personal_data": label.get("personal_data", []),  # labelled from issue #11 on
            "reply": {"action": action, "language": "nb", "subject": "Re: x"},
        }
        jsonschema.validate(as_verdict, schema)
    categories = {label["category"] for label in labels}
    assert categories == {
        "new_application",
        "change_request",
        "signed_offer",
        "deletion_confirmation",
        "other",
    }
    assert {label["language"] for label in labels} == {"nb", "nn", "en"}
