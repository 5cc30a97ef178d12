"""Loading what triage reads (rules, requirements, model) from the settings, and loading
it again when an admin changes it from the web (`ContextWatch`)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.classify.model import TextClassifier
from bot.requirements import file_version, load_requirements
from bot.rules import load_rules
from bot.settings import Settings
from bot.store import Store
from bot.triage import TriageContext

log = logging.getLogger(__name__)


def load_triage_context(
    settings: Settings, *, with_model: bool = True, store: Store | None = None
) -> TriageContext:
    """The context for `triage()`; without a trained model, the rules decide alone (logged).

    With a `store`, the model is the version an admin activated (`running_model_dir`);
    without one (`mikrobot triage`, `evaluate`), the one in `model_dir`."""
    model = None
    if with_model:
        model_dir = running_model_dir(settings, store) if store else settings.model_dir
        if (model_dir / "meta.json").exists():
            model = TextClassifier.load(model_dir)
        else:
            log.warning("no trained model at %s: rules only (run `mikrobot train`)", model_dir)
    return TriageContext(
        rules=load_rules(settings.rules_file),
        requirements=load_requirements(settings.requirements_file),
        model=model,
        mail_limits=settings.limits.mail(),
        extraction_limits=settings.limits.extraction(),
        max_attachments=settings.limits.max_attachments,
        own_addresses=frozenset({settings.from_address.lower()}),
    )


def running_model_dir(settings: Settings, store: Store) -> Path:
    """The folder of the active model version (admin page, `model_activations`); the one in
    `model_dir` while none has been activated, or when the active one's folder is gone."""
    from bot.store.tuning import active_version

    active = active_version(store)
    if active is None:
        return settings.model_dir
    path = Path(active.path)
    if not (path / "meta.json").exists():
        log.error(
            "the active model version %s is missing at %s: using %s",
            active.name,
            path,
            settings.model_dir,
        )
        return settings.model_dir
    log.info("model version %s (%s)", active.name, path)
    return path


@dataclass
class ContextWatch:
    """Notices an admin's change while the bot runs: another model version activated, the
    rules or requirements file saved. Checked between mails, at most every
    `settings.reload_check_seconds`; a change is loaded once and used from the next mail.
    A file that no longer loads (a hand edit gone wrong) keeps the bot on what it had, and
    says so in the log: filing never stops for it."""

    settings: Settings
    store: Store
    _seen: tuple[object, ...] | None = None
    _next_check: float = field(default=0.0)

    def __post_init__(self) -> None:
        self._seen = self._fingerprint()

    def _fingerprint(self) -> tuple[object, ...]:
        from bot.store.tuning import active_version

        def stat(path: Path) -> tuple[int, int] | None:
            try:
                return file_version(path)
            except OSError:
                return None

        active = active_version(self.store)
        return (
            active.path if active else None,
            stat(self.settings.rules_file),
            stat(self.settings.requirements_file),
        )

    def changed(self) -> TriageContext | None:
        """The context to triage with from now on, when something changed; else None."""
        now = time.monotonic()
        if now < self._next_check:
            return None
        self._next_check = now + self.settings.reload_check_seconds
        seen = self._fingerprint()
        if seen == self._seen:
            return None
        self._seen = seen
        try:
            context = load_triage_context(self.settings, store=self.store)
        except Exception as error:  # a rules file that no longer loads: keep the old one
            log.error("the changed rules or model did not load, triage goes on as before: %s",
                      error)  # fmt: skip
            return None
        log.warning("rules or model changed: triage uses them from the next mail")
        return context
