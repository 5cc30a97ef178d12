"""What admins tune from the web, as stored: model versions and which one is active, the
retraining jobs, and the audit log of every admin change.

Each change and its audit entry are written in one transaction: the log cannot miss a
change, nor show one that did not happen. Rows leave this module as frozen values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.errors import CaseworkError
from bot.store.models import (
    AuditEntry,
    Correction,
    Mail,
    ModelActivation,
    ModelVersion,
    RetrainJob,
    RetrainState,
    as_utc,
    utc_now,
)
from bot.store.repository import Store
from bot.store.tickets import newest_corrections

# --- the audit log ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


def record_audit(session: Session, actor: str, action: str, **detail: Any) -> None:
    """One admin change, in the caller's transaction (written with the change itself)."""
    session.add(AuditEntry(at=utc_now(), actor=actor, action=action, detail=detail))


def audit(store: Store, actor: str, action: str, **detail: Any) -> None:
    """One admin change that has no row of its own (the rules file is saved on disk)."""
    with store.session() as session, session.begin():
        record_audit(session, actor, action, **detail)


def audit_log(store: Store, *, limit: int | None = None) -> list[AuditRow]:
    """The admin changes, newest first."""
    with store.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return [
            AuditRow(e.id, as_utc(e.at), e.actor, e.action, dict(e.detail))
            for e in session.scalars(query)
        ]


# --- model versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionFacts:
    """A model version: its folder, who trained it on what, its held-out figures."""

    name: str
    path: str
    created_by: str
    training: dict[str, Any]
    held_out: str
    held_out_mails: int
    macro_f1: float
    accuracy: float


@dataclass(frozen=True)
class VersionRow(VersionFacts):
    id: int
    created_at: datetime


@dataclass(frozen=True)
class NewVersion(VersionFacts):
    """A trained model to register, with its whole evaluation report."""

    figures: dict[str, Any]


class ModelActivationError(CaseworkError):
    """An activation that cannot be done as asked; `key` names the page's words for it."""

    def __init__(self, key: str, message: str, **values: Any) -> None:
        super().__init__(message, key, **values)


def _row(version: ModelVersion) -> VersionRow:
    facts = {f.name: getattr(version, f.name) for f in fields(VersionFacts)}
    return VersionRow(**facts, id=version.id, created_at=as_utc(version.created_at))


def register_version(session: Session, new: NewVersion) -> VersionRow:
    """Record a trained model (in the caller's transaction); it is not active yet."""
    version = ModelVersion(**asdict(new), created_at=utc_now())
    session.add(version)
    session.flush()
    return _row(version)


def model_versions(store: Store) -> list[VersionRow]:
    """Every version, newest first."""
    with store.session() as session:
        return [
            _row(v) for v in session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc()))
        ]


def version_named(store: Store, name: str) -> VersionRow | None:
    with store.session() as session:
        found = session.scalar(select(ModelVersion).where(ModelVersion.name == name))
        return _row(found) if found is not None else None


def _activations(session: Session) -> list[ModelActivation]:
    return list(session.scalars(select(ModelActivation).order_by(ModelActivation.id.desc())))


def active_version(store: Store) -> VersionRow | None:
    """The version the bot runs with; None: the model in `model_dir` (none activated yet)."""
    with store.session() as session:
        newest = session.scalar(
            select(ModelActivation).order_by(ModelActivation.id.desc()).limit(1)
        )
        return _row(session.get_one(ModelVersion, newest.version_id)) if newest else None


def rollback_target(store: Store) -> VersionRow | None:
    """The version that was active before the active one, if any."""
    with store.session() as session:
        target = _previous_version(session)
        return _row(target) if target is not None else None


def _previous_version(session: Session) -> ModelVersion | None:
    rows = _activations(session)
    if not rows:
        return None
    current = rows[0].version_id
    for row in rows[1:]:
        if row.version_id != current:
            return session.get_one(ModelVersion, row.version_id)
    return None


def worse_than(candidate: VersionRow, active: VersionRow | None) -> str | None:
    """Why activating `candidate` in place of `active` needs an explicit override, or None.

    Figures compare only when both were measured on the same held-out set; a lower macro-F1
    is worse, and at an equal macro-F1 a lower accuracy is."""
    if active is None or active.id == candidate.id:
        return None
    if (candidate.held_out, candidate.held_out_mails) != (active.held_out, active.held_out_mails):
        return "not_comparable"
    mine = (round(candidate.macro_f1, 4), round(candidate.accuracy, 4))
    theirs = (round(active.macro_f1, 4), round(active.accuracy, 4))
    return "worse" if mine < theirs else None


def activate(
    store: Store, version_id: int, actor: str, *, override: bool = False, rollback: bool = False
) -> VersionRow:
    """Make a version the active one, with its audit entry. Refused (ModelActivationError)
    when it scores worse than the active one and `override` is not given."""
    with store.session() as session, session.begin():
        candidate = session.get(ModelVersion, version_id)
        if candidate is None:
            raise ModelActivationError("err_no_version", f"no model version {version_id}")
        rows = _activations(session)
        active = session.get_one(ModelVersion, rows[0].version_id) if rows else None
        if active is not None and active.id == candidate.id:
            raise ModelActivationError(
                "err_already_active", f"{candidate.name} is already active", name=candidate.name
            )
        reason = worse_than(_row(candidate), _row(active) if active else None)
        if reason is not None and not override:
            assert active is not None
            raise ModelActivationError(
                f"err_model_{reason}",
                f"{candidate.name} ({reason} than {active.name}): tick the override to activate",
                name=candidate.name,
                active=active.name,
            )
        session.add(
            ModelActivation(
                version_id=candidate.id,
                at=utc_now(),
                actor=actor,
                rollback=rollback,
                override=reason is not None,
            )
        )
        record_audit(
            session,
            actor,
            "model_rolled_back" if rollback else "model_activated",
            version=candidate.name,
            previous=active.name if active is not None else None,
            macro_f1=round(candidate.macro_f1, 4),
            accuracy=round(candidate.accuracy, 4),
            override=reason is not None,
        )
        return _row(candidate)


def roll_back(store: Store, actor: str, *, override: bool = False) -> VersionRow:
    """Activate the version that was active before the active one."""
    target = rollback_target(store)
    if target is None:
        raise ModelActivationError("err_no_rollback", "no earlier version to roll back to")
    return activate(store, target.id, actor, override=override, rollback=True)


# --- retraining jobs ------------------------------------------------------------------------


@dataclass(frozen=True)
class JobRow:
    id: int
    started_by: str
    started_at: datetime
    state: str
    step: str
    done: int
    total: int
    heartbeat_at: datetime
    finished_at: datetime | None
    version: str | None
    error: str | None

    @property
    def running(self) -> bool:
        return self.state == RetrainState.RUNNING.value

    def to_json(self) -> dict[str, Any]:
        """What the admin page polls (`/admin/models/retrain/status`)."""
        return {
            "id": self.id,
            "state": self.state,
            "step": self.step,
            "done": self.done,
            "total": self.total,
            "started_by": self.started_by,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "version": self.version,
            "error": self.error,
        }


class RetrainBusyError(ModelActivationError):
    """A retraining job is running already: one at a time."""


def _job_row(session: Session, job: RetrainJob) -> JobRow:
    version = session.get(ModelVersion, job.version_id) if job.version_id else None
    return JobRow(
        job.id,
        job.started_by,
        as_utc(job.started_at),
        job.state,
        job.step,
        job.done,
        job.total,
        as_utc(job.heartbeat_at),
        as_utc(job.finished_at) if job.finished_at else None,
        version.name if version else None,
        job.error,
    )


def start_job(store: Store, actor: str, *, stale_after: timedelta) -> int:
    """A new running job (and its audit entry); RetrainBusyError while another runs. A job
    whose heartbeat stopped more than `stale_after` ago died with its process: it is
    marked failed first."""
    now = utc_now()
    try:
        with store.session() as session, session.begin():
            session.execute(
                update(RetrainJob)
                .where(
                    RetrainJob.state == RetrainState.RUNNING.value,
                    RetrainJob.heartbeat_at < now - stale_after,
                )
                .values(
                    state=RetrainState.FAILED.value,
                    finished_at=now,
                    error="the job stopped answering (its process ended)",
                )
            )
            job = RetrainJob(started_by=actor, started_at=now, heartbeat_at=now)
            session.add(job)
            session.flush()
            record_audit(session, actor, "retrain_started", job=job.id)
            return job.id
    except IntegrityError as error:  # the unique index on the running state
        raise RetrainBusyError("err_retrain_busy", "a retraining job is running") from error


def job_progress(store: Store, job_id: int, step: str, done: int, total: int) -> None:
    """The job's step and count, and a heartbeat."""
    with store.session() as session, session.begin():
        session.execute(
            update(RetrainJob)
            .where(RetrainJob.id == job_id)
            .values(step=step, done=done, total=total, heartbeat_at=utc_now())
        )


def job_heartbeat(store: Store, job_id: int) -> None:
    with store.session() as session, session.begin():
        session.execute(
            update(RetrainJob).where(RetrainJob.id == job_id).values(heartbeat_at=utc_now())
        )


def finish_job(
    store: Store, job_id: int, *, version: NewVersion | None = None, error: str | None = None
) -> VersionRow | None:
    """End a running job: with its new version registered (same transaction), or failed.
    A job already ended (e.g. marked failed as stale) is left as it is."""
    with store.session() as session, session.begin():
        job = session.get_one(RetrainJob, job_id)
        if job.state != RetrainState.RUNNING.value:
            return None
        registered = register_version(session, version) if version is not None else None
        job.state = RetrainState.DONE.value if registered else RetrainState.FAILED.value
        job.step = "done" if registered else job.step
        job.finished_at = utc_now()
        job.version_id = registered.id if registered else None
        job.error = None if registered else (error or "failed")
        detail: dict[str, Any] = {"job": job.id}
        if registered:
            detail |= {
                "version": registered.name,
                "macro_f1": round(registered.macro_f1, 4),
                "accuracy": round(registered.accuracy, 4),
            }
        else:
            detail["error"] = job.error
        record_audit(
            session,
            job.started_by,
            "retrain_finished" if registered else "retrain_failed",
            **detail,
        )
        return registered


def latest_job(store: Store) -> JobRow | None:
    with store.session() as session:
        job = session.scalar(select(RetrainJob).order_by(RetrainJob.id.desc()).limit(1))
        return _job_row(session, job) if job is not None else None


def job(store: Store, job_id: int) -> JobRow | None:
    with store.session() as session:
        found = session.get(RetrainJob, job_id)
        return _job_row(session, found) if found is not None else None


# --- the caseworkers' corrections as training examples --------------------------------------


@dataclass(frozen=True)
class CorrectedMail:
    """A mail a caseworker put in another category: the mail's bytes and its label."""

    correction_id: int
    raw: bytes
    category: str
    auto_generated: bool


def corrected_mails(store: Store) -> list[CorrectedMail]:
    """Each corrected mail with its newest correction, as `export_corrections` writes them:
    never a mail that held national IDs, nor one whose bytes were purged."""
    found = []
    with store.session() as session:
        for mail_id, correction in sorted(newest_corrections(session).items()):
            mail = session.get_one(Mail, mail_id)
            if mail.personal_data:
                continue
            try:
                raw = store.raw_mail.get(mail.sha256)
            except OSError:
                continue
            automatic = bool(mail.verdict.get("auto_generated"))
            found.append(CorrectedMail(correction.id, raw, correction.category, automatic))
    return found


def mark_trained(store: Store, correction_ids: list[int]) -> None:
    """These corrections went into a trained version: no longer waiting for training."""
    if not correction_ids:
        return
    with store.session() as session, session.begin():
        session.execute(
            update(Correction)
            .where(Correction.id.in_(correction_ids), Correction.exported_at.is_(None))
            .values(exported_at=utc_now())
        )


def adopt_running_model(store: Store, running: NewVersion) -> VersionRow | None:
    """Register the model the bot runs with while no version was ever activated (the one in
    `model_dir`) and record it as active, so a new version compares with it and a rollback
    can return to it. None when a version is active already."""
    with store.session() as session, session.begin():
        if _activations(session):
            return None
        existing = session.scalar(select(ModelVersion).where(ModelVersion.name == running.name))
        version = _row(existing) if existing is not None else register_version(session, running)
        session.add(ModelActivation(version_id=version.id, at=utc_now(), actor=running.created_by))
        record_audit(
            session,
            running.created_by,
            "model_registered",
            version=version.name,
            macro_f1=round(version.macro_f1, 4),
            accuracy=round(version.accuracy, 4),
        )
        return version


# --- the mail a rules change is tried on ----------------------------------------------------


@dataclass(frozen=True)
class FiledMailRow:
    id: int
    ticket_id: int
    sha256: str
    source_key: str
    subject: str


def recent_mails(store: Store, limit: int) -> list[FiledMailRow]:
    """The newest filed mails, newest first: not second deliveries, nor mails whose bytes
    were deleted for the personal data they held."""
    with store.session() as session:
        query = (
            select(Mail.id, Mail.ticket_id, Mail.sha256, Mail.source_key, Mail.subject)
            .where(Mail.duplicate_of.is_(None), Mail.personal_data_deleted_at.is_(None))
            .order_by(Mail.id.desc())
            .limit(limit)
        )
        return [FiledMailRow(*row) for row in session.execute(query).all()]
