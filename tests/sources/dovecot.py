"""A private Dovecot for the IMAP tests: its own config, ports, certificate and users.

Everything lives in one temporary directory: the config file (`dovecot -c`), base and
state dirs, the log, a self-signed certificate made at start-up, the passwd-file and the
mail (`maildir:<root>/mail/%u`). It listens on 127.0.0.1 only: one port for plain IMAP
(with STARTTLS), one for implicit TLS, and — where 127.0.0.2 can be bound — a "limited"
listener whose post-login CAPABILITY lacks IDLE and MOVE, to drive the fallbacks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from tests.network import free_port, write_self_signed_certificate

HOST = "127.0.0.1"
LIMITED_HOST = "127.0.0.2"
LIMITED_CAPABILITIES = "IMAP4rev1 LITERAL+ UIDPLUS"
ACCOUNTS = 100


def find_dovecot() -> str | None:
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass(frozen=True)
class Account:
    """One mailbox user; each test gets its own, so tests never see each other's mail."""

    user: str
    password: str


class DovecotServer:
    def __init__(self, binary: str, root: Path, mail_format: str = "maildir") -> None:
        self.binary = binary
        self.root = root
        self.mail_format = mail_format
        """Dovecot's mailbox format (`maildir`, `sdbox`, `mdbox`): the benchmarks compare them."""
        self.imap_port = free_port(HOST)
        self.imaps_port = free_port(HOST)
        self.limited_port: int | None = free_port(LIMITED_HOST) if _can_bind(LIMITED_HOST) else None
        self.cert = root / "cert.pem"
        self.users = root / "users"
        self.config = root / "dovecot.conf"
        self.log = root / "dovecot.log"
        self._process: subprocess.Popen[bytes] | None = None
        # Passwords with characters that need percent-encoding in a URL (no ':', the
        # passwd-file's separator).
        self._accounts = [
            Account(f"user{n}", f"p@ss w/rd#{secrets.token_hex(4)}?%") for n in range(ACCOUNTS)
        ]
        self._handed_out: list[Account] = []

    # -- life cycle ---------------------------------------------------------------------
    def prepare(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # mail processes run as an unprivileged user and must get in
        write_self_signed_certificate(self.cert, self.root / "key.pem")
        self.users.write_text(
            "".join(f"{a.user}:{{PLAIN}}{a.password}:::::\n" for a in self._accounts)
        )
        uid, gid, extra = _mail_user()
        if os.geteuid() == 0:
            os.chown(self.root / "mail", uid, gid)
        self.config.write_text(self._config_text(uid, gid, extra))

    def start(self, timeout: float = 10.0) -> None:
        log = self.log.open("ab")
        self._process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: one killpg ends every child
        )
        log.close()
        deadline = time.monotonic() + timeout
        ports = [(HOST, self.imap_port), (HOST, self.imaps_port)]
        if self.limited_port is not None:
            ports.append((LIMITED_HOST, self.limited_port))
        while not all(_accepts(host, port) for host, port in ports):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("dovecot did not start listening")
            time.sleep(0.05)

    def check(self) -> None:
        """One login and SELECT with a spare account: proves the mail processes can work."""
        spare = self._accounts[-1]
        with self.admin(spare) as client:
            client.select_folder("INBOX")

    def stop(self) -> None:
        """Kills the whole process group (master, login and mail processes)."""
        process, self._process = self._process, None
        if process is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # stragglers that outlived the master
            os.killpg(process.pid, signal.SIGKILL)

    @property
    def pid(self) -> int | None:
        """The master's process id, which is also its process group's (None when stopped)."""
        return None if self._process is None else self._process.pid

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    # -- what tests use -----------------------------------------------------------------
    def add_account(self) -> Account:
        """A user no other test has used.

        All accounts are written before start-up: Dovecot re-reads a passwd-file only when
        its mtime changes, which two tests within one second would not do.
        """
        account = self._accounts[len(self._handed_out)]  # the last one is `check`'s
        self._handed_out.append(account)
        return account

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts exactly this server's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.cert))

    @contextlib.contextmanager
    def admin(self, account: Account) -> Iterator[Any]:
        """A separate connection, as another mail client would have, to append and inspect."""
        client = IMAPClient(HOST, port=self.imap_port, ssl=False, timeout=10)
        try:
            client.login(account.user, account.password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(
        self, account: Account, raw: bytes, folder: str = "INBOX", when: dt.datetime | None = None
    ) -> int:
        """Appends like a delivery would; returns the new UID (from APPENDUID)."""
        with self.admin(account) as client:
            response = client.append(folder, raw, msg_time=when)
        return int(response.split(b"]")[0].split()[-1])

    def _config_text(self, uid: int, gid: int, extra: str) -> str:
        root = self.root
        limited = ""
        if self.limited_port is not None:
            limited = f"""
  inet_listener limited {{
    address = {LIMITED_HOST}
    port = {self.limited_port}
  }}"""
        return f"""# Private test instance: nothing here touches /etc/dovecot or system ports.
protocols = imap
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
log_path = {self.log}
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = {self.mail_format}:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {min(uid, 1)}
first_valid_gid = {min(gid, 1)}
{extra}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.users}
}}
# No auth penalty: after a wrong-password test it would slow every later login from
# 127.0.0.1 by 2–15 s (Dovecot's documented way to switch it off).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.imaps_port}
    ssl = yes
  }}{limited}
}}
local {LIMITED_HOST} {{
  protocol imap {{
    imap_capability = {LIMITED_CAPABILITIES}
  }}
}}
"""


def make_message(
    subject: str, body: str = "Hei,\n\nvedlagt er søknaden.\n\nHilsen Kari\n"
) -> bytes:
    """A realistic mail in wire form (CRLF), as a mail server stores and returns it."""
    message = EmailMessage(policy=SMTP)
    message["From"] = "Kari Nordmann <kari.nordmann@bergen.kommune.no>"
    message["To"] = "mikrodata@ssb.no"
    message["Subject"] = subject
    message["Date"] = "Mon, 03 Mar 2025 09:15:00 +0100"
    message["Message-ID"] = f"<{secrets.token_hex(8)}@bergen.kommune.no>"
    message.set_content(body)
    return message.as_bytes()


def _mail_user() -> tuple[int, int, str]:
    """Dovecot refuses mail access as root, so as root mail runs as `nobody`."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, ""
    me = pwd.getpwuid(os.geteuid()).pw_name
    rootless = (  # Dovecot's documented set-up for running as an ordinary user
        f"default_internal_user = {me}\ndefault_login_user = {me}\n"
        "service anvil {\n  chroot =\n}\nservice imap-login {\n  chroot =\n}\n"
    )
    return os.geteuid(), os.getegid(), rootless


def _can_bind(host: str) -> bool:
    try:
        free_port(host)
    except OSError:
        return False
    return True


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
