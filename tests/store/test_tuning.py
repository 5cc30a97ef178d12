"""Model versions, the active one, retraining jobs and the audit log, on SQLite and
PostgreSQL: activate, roll back, an override needed for a worse version, one job at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.context import running_model_dir
from bot.settings import Settings
from bot.store import Store
from bot.store.models import RetrainJob, utc_now
from bot.store.tuning import (
    ModelActivationError,
    NewVersion,
    RetrainBusyError,
    activate,
    active_version,
    audit_log,
    finish_job,
    job,
    job_progress,
    register_version,
    roll_back,
    rollback_target,
    start_job,
)

HELD_OUT = "fixtures/labels.jsonl test split"


def version(name: str, macro_f1: float, accuracy: float, *, held_out: str = HELD_OUT) -> NewVersion:
    return NewVersion(
        name=name,
        path=f"/models/{name}",
        created_by="admin",
        training={"mails": 10, "corrections": 2},
        held_out=held_out,
        held_out_mails=147,
        macro_f1=macro_f1,
        accuracy=accuracy,
        figures={"macro_f1": macro_f1},
    )


def registered(store: Store, new: NewVersion) -> int:
    with store.session() as session, session.begin():
        return register_version(session, new).id


def test_activating_a_better_version_needs_no_override_and_is_audited(store: Store) -> None:
    first = registered(store, version("v1", 0.90, 0.92))
    second = registered(store, version("v2", 0.95, 0.96))
    assert active_version(store) is None  # the model in model_dir until one is activated
    activate(store, first, "admin")
    activate(store, second, "admin")
    active = active_version(store)
    assert active is not None and active.name == "v2"
    entries = audit_log(store)
    assert [e.action for e in entries] == ["model_activated", "model_activated"]
    assert entries[0].detail["version"] == "v2"
    assert entries[0].detail["previous"] == "v1"
    assert entries[0].detail["override"] is False
    assert entries[0].actor == "admin"


def test_a_worse_version_is_refused_without_the_override(store: Store) -> None:
    good = registered(store, version("good", 0.95, 0.96))
    worse = registered(store, version("worse", 0.80, 0.99))
    activate(store, good, "admin")
    with pytest.raises(ModelActivationError) as refused:
        activate(store, worse, "admin")
    assert refused.value.key == "err_model_worse"
    assert active_version(store).name == "good"  # type: ignore[union-attr]
    activate(store, worse, "boss", override=True)
    assert active_version(store).name == "worse"  # type: ignore[union-attr]
    newest = audit_log(store)[0]
    assert (newest.actor, newest.detail["override"]) == ("boss", True)


def test_equal_macro_f1_compares_on_accuracy(store: Store) -> None:
    first = registered(store, version("a", 0.9, 0.95))
    same_but_less_accurate = registered(store, version("b", 0.9, 0.94))
    activate(store, first, "admin")
    with pytest.raises(ModelActivationError):
        activate(store, same_but_less_accurate, "admin")


def test_figures_from_another_held_out_set_need_the_override(store: Store) -> None:
    first = registered(store, version("a", 0.5, 0.5))
    other = registered(store, version("b", 0.99, 0.99, held_out="another set"))
    activate(store, first, "admin")
    with pytest.raises(ModelActivationError) as refused:
        activate(store, other, "admin")
    assert refused.value.key == "err_model_not_comparable"


def test_rollback_returns_to_the_version_active_before(store: Store) -> None:
    with pytest.raises(ModelActivationError) as nothing:
        roll_back(store, "admin")
    assert nothing.value.key == "err_no_rollback"
    first = registered(store, version("v1", 0.90, 0.90))
    second = registered(store, version("v2", 0.95, 0.95))
    activate(store, first, "admin")
    activate(store, second, "admin")
    assert rollback_target(store).name == "v1"  # type: ignore[union-attr]
    with pytest.raises(ModelActivationError):  # v1 scores worse than v2
        roll_back(store, "admin")
    roll_back(store, "admin", override=True)
    assert active_version(store).name == "v1"  # type: ignore[union-attr]
    assert audit_log(store)[0].action == "model_rolled_back"
    assert rollback_target(store).name == "v2"  # type: ignore[union-attr]


def test_activating_the_active_version_again_is_refused(store: Store) -> None:
    first = registered(store, version("v1", 0.9, 0.9))
    activate(store, first, "admin")
    with pytest.raises(ModelActivationError) as refused:
        activate(store, first, "admin")
    assert refused.value.key == "err_already_active"
    with pytest.raises(ModelActivationError):
        activate(store, 999_999, "admin")


def test_one_retraining_job_runs_at_a_time(store: Store) -> None:
    first = start_job(store, "admin", stale_after=timedelta(minutes=2))
    with pytest.raises(RetrainBusyError):
        start_job(store, "other", stale_after=timedelta(minutes=2))
    job_progress(store, first, "reading", 3, 10)
    running = job(store, first)
    assert running is not None and running.running
    assert (running.step, running.done, running.total) == ("reading", 3, 10)
    finished = finish_job(store, first, version=version("v1", 0.9, 0.9))
    assert finished is not None and finished.name == "v1"
    done = job(store, first)
    assert done is not None and (done.state, done.version) == ("done", "v1")
    second = start_job(store, "other", stale_after=timedelta(minutes=2))
    finish_job(store, second, error="ValueError: no training examples")
    failed = job(store, second)
    assert failed is not None and failed.state == "failed" and "no training" in str(failed.error)
    actions = [e.action for e in reversed(audit_log(store))]
    assert actions == ["retrain_started", "retrain_finished", "retrain_started", "retrain_failed"]


def test_a_job_whose_heartbeat_stopped_does_not_block_the_next(store: Store) -> None:
    dead = start_job(store, "admin", stale_after=timedelta(minutes=2))
    with store.session() as session, session.begin():
        session.execute(
            update(RetrainJob)
            .where(RetrainJob.id == dead)
            .values(heartbeat_at=utc_now() - timedelta(minutes=10))
        )
    start_job(store, "admin", stale_after=timedelta(minutes=2))
    gone = job(store, dead)
    assert gone is not None and gone.state == "failed"
    assert finish_job(store, dead, version=version("late", 0.9, 0.9)) is None  # ended already


def test_the_bot_runs_with_the_active_version_when_its_folder_exists(
    store: Store, tmp_path: Path
) -> None:
    settings = Settings(model_dir=tmp_path / "builtin")
    assert running_model_dir(settings, store) == settings.model_dir
    folder = tmp_path / "v1"
    folder.mkdir()
    (folder / "meta.json").write_text("{}", encoding="utf-8")
    new = replace(version("v1", 0.9, 0.9), path=str(folder))
    activate(store, registered(store, new), "a")
    assert running_model_dir(settings, store) == folder
    (folder / "meta.json").unlink()  # a folder removed by hand: the bot still starts
    assert running_model_dir(settings, store) == settings.model_dir
