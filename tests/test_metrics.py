"""`/metrics` and `mikrobot status`: the deployment's figures, read from the database."""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot.cli import main
from bot.metrics import serve_metrics
from bot.store.models import MailboxState, utc_now
from bot.triage import TriageContext
from fixtures.seed_maildir import seed
from tests.conftest import maildir_service
from tests.network import free_port


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_report_what_was_fetched_triaged_and_sent_and_how_old_the_last_fetch_is(
    tmp_path: Path, context: TriageContext
) -> None:
    service = maildir_service(tmp_path, context)
    count = seed(Path(service.settings.source), per_category=2)
    stats = service.run(once=True)
    port = free_port()
    serve_metrics(service.store, f"127.0.0.1:{port}")

    metrics = scrape(port)
    assert metrics[("mikrobot_mails_fetched_total", ())] == count == 10
    triaged = {
        labels[0][1]: value
        for (name, labels), value in metrics.items()
        if name == "mikrobot_mails_triaged_total"
    }
    assert triaged == {k: float(v) for k, v in stats.by_category.items()}
    assert metrics[("mikrobot_replies_sent_total", ())] == stats.replies_sent > 0
    assert metrics[("mikrobot_queue_depth", ())] == 0
    (fetch_age,) = [v for (n, _), v in metrics.items() if n == "mikrobot_fetch_age_seconds"]
    assert 0 <= fetch_age < 60

    service.worker.stopping = lambda: True  # a worker that takes nothing: the queue grows
    seed(Path(service.settings.source), per_category=1)  # the same mails again, as new ones
    service.process_waiting_mail()
    service.close()
    assert scrape(port)[("mikrobot_queue_depth", ())] == 5


def test_status_shows_the_figures_and_exits_1_once_the_last_good_fetch_is_stale(
    tmp_path: Path, context: TriageContext
) -> None:
    service = maildir_service(tmp_path, context)
    seed(Path(service.settings.source), per_category=1)
    service.run(once=True)
    env = {
        "MIKROBOT_SOURCE": service.settings.source,
        "MIKROBOT_DATABASE": service.settings.database,
        "MIKROBOT_RAW_MAIL_DIR": str(service.settings.raw_mail_dir),
        "MIKROBOT_WAIT_TIMEOUT": "60",
    }
    healthy = CliRunner().invoke(main, ["status"], env=env)
    assert healthy.exit_code == 0, healthy.output
    assert "mails fetched      5" in healthy.output and "STALE" not in healthy.output

    with service.store.session() as session, session.begin():
        session.execute(update(MailboxState).values(last_fetch_at=utc_now() - timedelta(hours=1)))
    service.close()
    stale = CliRunner().invoke(main, ["status"], env=env)
    assert stale.exit_code == 1 and "STALE" in stale.output
