"""Loading what triage reads (rules, requirements, model) from the settings, once."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.classify.model import TextClassifier
from bot.requirements import load_requirements
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
