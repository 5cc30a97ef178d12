"""Retraining from the caseworkers' corrections into a new model version, in the background.

The job learns from the labelled mail's train split plus every corrected mail, calibrates
the confidence as `mikrobot train` does, and measures the result on the held-out split
(the labelled mail's test split, the same for every version, so versions compare). The
model is written to a hidden folder and renamed into `model_versions_dir` only when
complete; then it is registered, not activated: the admin decides.

It runs in a process of its own (`start_retrain`), so training does not slow the pages;
the database's unique index lets one job run at a time. The job reports its step and
count to its row as it goes, and a heartbeat thread shows it is alive, so a job whose
process died is recognised and does not block the next one forever.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.classify import ClassifierInput
from bot.classify.calibration import fit_calibration, save_calibration
from bot.classify.model import TextClassifier, save_classifier, train_classifier
from bot.context import load_triage_context, running_model_dir
from bot.evaluate import Label, Report, evaluate, labelled_mail, read_labels
from bot.settings import Settings
from bot.store import RawMailStore, Store, create_store_engine
from bot.store.tuning import (
    NewVersion,
    adopt_running_model,
    corrected_mails,
    finish_job,
    job_heartbeat,
    job_progress,
    mark_trained,
    model_versions,
    start_job,
)
from bot.triage import ReadMail, TriageContext, judge, read_mail
from bot.verdict import Category

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""(step, done, total): `reading`, `training`, `calibrating`, `evaluating`, `saving`."""
HEARTBEAT_SECONDS = 5.0
RUNNING_MODEL = "builtin"
"""The name under which the model in `model_dir` is registered by the first retraining."""


@dataclass(frozen=True)
class Example:
    inputs: ClassifierInput
    category: Category
    auto_generated: bool


def accuracy(report: Report) -> float:
    """The share of mails whose category was right."""
    right = sum(report.confusion[c][c] for c in report.confusion)
    return right / report.mails if report.mails else 0.0


def version_name(now: datetime, job_id: int) -> str:
    """`20261209T101500Z-3`: sorts by time; the job id keeps two in one second apart."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{job_id}"


def training_summary(
    examples: Sequence[Example], fixtures: int, corrections: int, labels: Path, epochs: int
) -> dict[str, object]:
    per_category: dict[str, int] = {}
    for example in examples:
        per_category[example.category.value] = per_category.get(example.category.value, 0) + 1
    return {
        "labels": str(labels),
        "split": "train",
        "labelled_mails": fixtures,
        "corrections": corrections,
        "mails": len(examples),
        "per_category": dict(sorted(per_category.items())),
        "epochs": epochs,
    }


def retrain(settings: Settings, store: Store, job_id: int, progress: Progress) -> NewVersion:
    """Train, calibrate and measure a new version; returns it, ready to register."""
    tuning = settings.tuning
    context = load_triage_context(settings, with_model=False)
    labels = list(read_labels(tuning.training_labels, "train"))
    corrected = corrected_mails(store)
    total = len(labels) + len(corrected)
    examples: list[Example] = []
    for label in labels:
        read = read_mail(labelled_mail(tuning.training_labels, label).read_bytes(), context)
        examples.append(Example(read.inputs, Category(label.category), label.auto_generated))
        progress("reading", len(examples), total)
    for correction in corrected:
        read = read_mail(correction.raw, context)
        examples.append(
            Example(read.inputs, Category(correction.category), correction.auto_generated)
        )
        progress("reading", len(examples), total)

    progress("training", 0, 1)
    model = train_classifier(((e.inputs, e.category) for e in examples), epochs=tuning.epochs)
    name = version_name(datetime.now(UTC), job_id)
    tuning.model_versions_dir.mkdir(parents=True, exist_ok=True)
    staging = tuning.model_versions_dir / f".incoming-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        save_classifier(model, staging)
        progress("calibrating", 0, 1)
        calibration = fit_calibration(
            [(e.inputs, e.category) for e in examples if not e.auto_generated],
            _calibration_examples(tuning.calibration_labels, context),
            context.rules,
            model,
            epochs=tuning.epochs,
            names=(f"{tuning.training_labels} train split, 5-fold", str(tuning.calibration_labels)),
        )
        save_calibration(calibration, staging)
        held_out = list(read_labels(tuning.training_labels, "test"))
        trained = TextClassifier.load(staging)
        measured = _measure(settings, store, context, trained, held_out, progress)
        progress("saving", 0, 1)
        final = tuning.model_versions_dir / name
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    mark_trained(store, [c.correction_id for c in corrected])
    return NewVersion(
        name=name,
        path=str(final.resolve()),
        created_by="",  # the job's starter, filled in by `run_job`
        training=training_summary(
            examples, len(labels), len(corrected), tuning.training_labels, tuning.epochs
        ),
        held_out=f"{tuning.training_labels} test split",
        held_out_mails=measured.mails,
        macro_f1=measured.macro_f1(),
        accuracy=accuracy(measured),
        figures=measured.to_json(),
    )


def _calibration_examples(
    path: Path, context: TriageContext
) -> list[tuple[ClassifierInput, Category]]:
    return [
        (
            read_mail(labelled_mail(path, label).read_bytes(), context).inputs,
            Category(label.category),
        )
        for label in read_labels(path)
        if not label.auto_generated
    ]


def _measure(
    settings: Settings,
    store: Store,
    context: TriageContext,
    trained: TextClassifier,
    held_out: list[Label],
    progress: Progress,
) -> Report:
    """The new model's figures on the held-out split. While no version was ever registered,
    the model the bot runs with is measured on the same mail (each mail is read once) and
    registered as the active one, so the new version has something to be compared with."""
    first = not model_versions(store)
    running_dir = running_model_dir(settings, store)
    running = (
        TextClassifier.load(running_dir) if first and (running_dir / "meta.json").exists() else None
    )
    pairs, running_pairs = [], []
    for index, label in enumerate(held_out, 1):
        read: ReadMail = read_mail(
            labelled_mail(settings.tuning.training_labels, label).read_bytes(), context
        )
        pairs.append((label, judge(read, label.file, _with_model(context, trained))))
        if running is not None:
            running_pairs.append((label, judge(read, label.file, _with_model(context, running))))
        progress("evaluating", index, len(held_out))
    if running is not None:
        report = evaluate(running_pairs)
        adopt_running_model(
            store,
            NewVersion(
                name=RUNNING_MODEL,
                path=str(running_dir.resolve()),
                created_by="mikrobot",
                training={"note": f"the model in model_dir ({running_dir})"},
                held_out=f"{settings.tuning.training_labels} test split",
                held_out_mails=report.mails,
                macro_f1=report.macro_f1(),
                accuracy=accuracy(report),
                figures=report.to_json(),
            ),
        )
    return evaluate(pairs)


def _with_model(context: TriageContext, model: TextClassifier) -> TriageContext:
    return replace(context, model=model)


# --- the job around it ------------------------------------------------------------------------


class _Reporter:
    """Progress to the job's row, at most twice a second (and at every new step)."""

    def __init__(self, store: Store, job_id: int) -> None:
        self.store, self.job_id = store, job_id
        self._last = ("", 0.0)

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if step != self._last[0] or done == total or now - self._last[1] >= 0.5:
            job_progress(self.store, self.job_id, step, done, total)
            self._last = (step, now)


def run_job(settings: Settings, store: Store, job_id: int, started_by: str) -> None:
    """Run job `job_id` to its end: a registered version, or failed with the reason."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            job_heartbeat(store, job_id)

    beating = threading.Thread(target=beat, name=f"retrain-{job_id}-heartbeat", daemon=True)
    beating.start()
    try:
        new = retrain(settings, store, job_id, _Reporter(store, job_id))
        finish_job(store, job_id, version=replace(new, created_by=started_by))
        log.info("retraining job %s: version %s registered", job_id, new.name)
    except Exception as error:
        log.exception("retraining job %s failed", job_id)
        finish_job(store, job_id, error=f"{type(error).__name__}: {error}"[:2000])
    finally:
        stop.set()


def _job_process(settings: Settings, job_id: int, started_by: str) -> None:
    """The job's own process (spawned): its own database connection."""
    from bot.logs import configure_logging

    configure_logging(logging.INFO, f"%(asctime)s retrain-{job_id} %(levelname)s %(message)s")
    store = Store(create_store_engine(settings.database), RawMailStore(settings.raw_mail_dir))
    try:
        run_job(settings, store, job_id, started_by)
    finally:
        store.engine.dispose()


def start_retrain(settings: Settings, store: Store, actor: str) -> int:
    """Start a retraining job in a process of its own and return its id at once; raises
    RetrainBusyError while another job runs. A thread waits for the process, and marks
    the job failed if the process ended without ending it (killed, out of memory)."""
    job_id = start_job(store, actor, stale_after=timedelta(seconds=settings.tuning.job_stale_after))
    process = multiprocessing.get_context("spawn").Process(
        target=_job_process, args=(settings, job_id, actor), name=f"mikrobot-retrain-{job_id}"
    )
    process.start()

    def reap() -> None:
        process.join()
        if process.exitcode != 0:
            finish_job(store, job_id, error=f"the job's process ended with code {process.exitcode}")

    threading.Thread(target=reap, name=f"retrain-{job_id}-reaper", daemon=True).start()
    return job_id
