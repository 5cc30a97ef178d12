"""Loading what triage reads (rules, requirements, model) from the settings, once."""

from __future__ import annotations

import logging

from bot.classify.model import TextClassifier
from bot.requirements import load_requirements
from bot.rules import load_rules
from bot.settings import Settings
from bot.triage import TriageContext

log = logging.getLogger(__name__)


def load_triage_context(settings: Settings, *, with_model: bool = True) -> TriageContext:
    """The context for `triage()`; without a trained model, the rules decide alone (logged)."""
    model = None
    if with_model:
        if (settings.model_dir / "meta.json").exists():
            model = TextClassifier.load(settings.model_dir)
        else:
            log.warning(
                "no trained model at %s: rules only (run `mikrobot train`)", settings.model_dir
            )
    return TriageContext(
        rules=load_rules(settings.rules_file),
        requirements=load_requirements(settings.requirements_file),
        model=model,
        mail_limits=settings.limits.mail(),
        extraction_limits=settings.limits.extraction(),
        max_attachments=settings.limits.max_attachments,
        own_addresses=frozenset({settings.from_address.lower()}),
    )
