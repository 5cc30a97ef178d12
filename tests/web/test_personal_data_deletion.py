""" "Slett personopplysningene" on the ticket page: a caseworker deletes, with a reason (#11)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import Settings, WebSettings
from bot.store import Store
from bot.store.accounts import add_user
from bot.triage import TriageContext
from bot.web.app import create_app
from tests.network import free_port
from tests.store.test_personal_data_deletion import SECRETS, mail_with_ids
from tests.store.test_purge import every_byte_under
from tests.store.test_store import file
from tests.web.conftest import CASEWORKER, LiveServer, Web, csrf_token_in, logged_in_client


@pytest.fixture
def own_web(tmp_path: Path) -> Iterator[Web]:
    """A web server of its own: this test deletes data other tests' tickets need."""
    settings = Settings(
        database=f"sqlite:///{tmp_path / 'mikrobot.db'}",
        raw_mail_dir=tmp_path / "mail",
        web=WebSettings(secret_key=SecretStr("test-secret-key"), secure_cookies=False),
    )
    store = Store.open(settings.database, settings.raw_mail_dir)
    add_user(store, *CASEWORKER, "caseworker")
    port = free_port()
    server = LiveServer(create_app(settings, store), port)
    server.start()
    yield Web(f"http://127.0.0.1:{port}", settings, store, "", 0, [])
    server.stop()
    store.engine.dispose()


def test_a_caseworker_deletes_the_personal_data_with_a_reason_and_the_page_says_when(
    own_web: Web, context: TriageContext
) -> None:
    _, ticket_id, _ = file(own_web.store, context, mail_with_ids(), "k1")
    page = f"/tickets/{ticket_id}"
    action = f"{page}/personal-data/delete"
    with logged_in_client(own_web, CASEWORKER) as client:
        before = client.get(page)
        assert 'data-testid="pd-delete"' in before.text and "pd-not-deleted" in before.text
        token = csrf_token_in(before.text)
        assert client.post(action, data={"reason": "ba om sletting"}).status_code == 403
        refused = client.post(action, data={"csrf_token": token, "reason": ""})
        assert refused.status_code == 400 and "begrunnelse" in refused.text

        done = client.post(action, data={"csrf_token": token, "reason": "søker ba om sletting"})
        assert done.status_code == 303
        after = client.get(done.headers["location"])

    assert 'data-testid="pd-deleted"' in after.text and 'data-testid="pd-delete"' not in after.text
    assert 'data-action="personal_data_deleted"' in after.text
    _, (mail,), events = own_web.store.ticket(ticket_id) or (None, [None], [])
    assert mail is not None and mail.personal_data_deleted_at is not None
    assert (events[-1].actor, events[-1].detail["reason"]) == ("kari", "søker ba om sletting")
    for secret in SECRETS:
        assert secret not in every_byte_under(own_web.settings.raw_mail_dir)
