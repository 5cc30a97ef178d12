"""`mikrobot triage` keeps the contract: one valid JSON line per mail, logs off stdout, exit 0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REPO, make_mail

SCHEMA = json.loads((REPO / "schema" / "triage-line.schema.json").read_text())
CHECK_CONTRACT = REPO.parent / "shared" / "tools" / "check-contract"


def run_triage(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    mikrobot = Path(sys.executable).parent / "mikrobot"
    return subprocess.run(
        [str(mikrobot), "triage", str(path), *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=600,
    )


def lines_of(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


CORPORA = {"fixtures/mail": 400, "fixtures/handwritten": 180}
"""Each corpus folder and the mails it holds at least (generated; written by hand)."""


@pytest.fixture(scope="module", params=sorted(CORPORA))
def fixture_run(
    request: pytest.FixtureRequest,
) -> tuple[subprocess.CompletedProcess[str], list[Path]]:
    folder = Path(request.param)
    files = sorted(p for p in (REPO / folder).rglob("*.eml"))
    assert len(files) >= CORPORA[request.param], f"{folder} is missing mail"
    return run_triage(folder, "--json"), files


def test_every_fixture_mail_gets_one_schema_valid_line_in_sorted_order(
    fixture_run: tuple[subprocess.CompletedProcess[str], list[Path]],
) -> None:
    result, files = fixture_run
    assert result.returncode == 0, result.stderr[-2000:]
    lines = lines_of(result)
    assert [line["file"] for line in lines] == [str(p.relative_to(REPO)) for p in files]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for line in lines:
        errors = sorted(validator.iter_errors(line), key=str)
        assert not errors, f"{line['file']}: {errors[0].message}"


def test_fixture_lines_pass_the_shared_contract_checker(
    fixture_run: tuple[subprocess.CompletedProcess[str], list[Path]],
) -> None:
    if not CHECK_CONTRACT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHECK_CONTRACT} not found")
        pytest.skip("shared/tools/check-contract not beside the checkout")
    result, files = fixture_run
    checked = subprocess.run(
        [sys.executable, str(CHECK_CONTRACT)], input=result.stdout, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout
    assert f"contract: {len(files)}/{len(files)} lines valid" in checked.stdout


def test_unreadable_and_garbage_files_still_get_a_line_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a_good.eml").write_bytes(make_mail("Vedlagt er søknaden vår om tilgang."))
    (tmp_path / "b_dangling.eml").symlink_to(tmp_path / "does-not-exist")
    (tmp_path / "c_garbage.eml").write_bytes(os.urandom(4096))
    (tmp_path / "d_empty.eml").write_bytes(b"")
    result = run_triage(tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    lines = lines_of(result)
    assert [Path(line["file"]).name for line in lines] == [
        "a_good.eml", "b_dangling.eml", "c_garbage.eml", "d_empty.eml"
    ]  # fmt: skip
    dangling = lines[1]
    assert dangling["category"] == "other"
    assert dangling["error"].startswith("cannot read file")
    for line in lines:
        jsonschema.validate(line, SCHEMA)


def test_single_file_and_human_table_output(tmp_path: Path) -> None:
    mail = tmp_path / "one.eml"
    mail.write_bytes(
        make_mail("Vi bekrefter at dataene er slettet. Deres ref. 24/01872-3", subject="Sletting")
    )
    as_json = lines_of(run_triage(mail, "--json"))
    assert len(as_json) == 1
    assert as_json[0]["fields"]["case_reference"] == "24/01872"
    table = run_triage(mail)
    assert table.returncode == 0
    assert "24/01872" in table.stdout
    assert not table.stdout.lstrip().startswith("{")


def test_nothing_but_json_goes_to_stdout_even_with_verbose_logging(tmp_path: Path) -> None:
    mail = tmp_path / "one.eml"
    mail.write_bytes(make_mail("Hei"))
    mikrobot = shutil.which("mikrobot", path=str(Path(sys.executable).parent))
    assert mikrobot
    result = subprocess.run(
        [mikrobot, "-v", "triage", str(mail), "--json"], capture_output=True, text=True, check=True
    )
    assert len(result.stdout.splitlines()) == 1
    json.loads(result.stdout)
