"""A real IMAP server for the mail-intake tests: Debian's Dovecot (`dovecot-imapd`), started in
the foreground on free loopback ports with a throw-away configuration, mail directory and one
user, and stopped at the end of the block. Plain IMAP (with STARTTLS) and IMAPS both listen,
on a self-signed certificate for 127.0.0.1 that `client_tls` trusts.

Dovecot refuses to give a mailbox to uid 0, so when the tests run as root the mail belongs to
the unprivileged `dovenull` account's uid (any non-root uid does: Dovecot only switches to it).
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from _smtp import free_port, self_signed_tls

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "registry", "mailbox password 1"


def dovecot_missing() -> str | None:
    """Why the IMAP tests cannot run here, or None when they can."""
    if not Path(DOVECOT).is_file():
        return "Dovecot is not installed (Debian package dovecot-imapd)"
    return None


@dataclass
class ImapServer:
    host: str
    port: int
    tls_port: int
    client_tls: ssl.SSLContext
    folder: Path

    def settings(self, *, security: str = "starttls") -> dict:
        """App settings that read this server's INBOX (security: "starttls", "ssl" or "none")."""
        return {
            "MAIL_IMAP_HOST": self.host,
            "MAIL_IMAP_PORT": self.tls_port if security == "ssl" else self.port,
            "MAIL_IMAP_SECURITY": security,
            "MAIL_IMAP_USERNAME": USER,
            "MAIL_IMAP_PASSWORD": PASSWORD,
            "MAIL_IMAP_CA_FILE": str(self.folder / "smtp-cert.pem"),
        }

    def client(self) -> imaplib.IMAP4:
        """A plain imaplib session on the INBOX, for tests that put mail in or look at flags."""
        session = imaplib.IMAP4(self.host, self.port)
        session.starttls(ssl_context=self.client_tls)
        session.login(USER, PASSWORD)
        session.select("INBOX")
        return session

    def deliver(self, raw: bytes, flags: str = "") -> None:
        """Put one raw message into the INBOX, as the mail server's delivery would."""
        session = self.client()
        try:
            status, answer = session.append("INBOX", flags or None, None, raw)
            assert status == "OK", answer
        finally:
            session.logout()

    def uids(self, criteria: str = "ALL") -> list[int]:
        session = self.client()
        try:
            status, answer = session.uid("SEARCH", None, criteria)
            assert status == "OK", answer
            return [int(uid) for uid in answer[0].split()]
        finally:
            session.logout()


_CONFIG = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{folder}/smtp-cert.pem
ssl_key = <{folder}/smtp-key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


def _mail_owner() -> tuple[int, int]:
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    account = pwd.getpwnam("dovenull")
    return account.pw_uid, account.pw_gid


def _wait_for(port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _wait_for_login(server: ImapServer, deadline: float) -> None:
    """The listener opens before the authentication process is ready: wait for a login."""
    while True:
        try:
            server.client().logout()
            return
        except imaplib.IMAP4.error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def running_imap_server() -> Iterator[ImapServer]:
    """Dovecot on free loopback ports, its files in a fresh folder under the system's temporary
    directory (a test's own tmp_path is private to root, and Dovecot reads the mail as another
    user), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="registry-dovecot-"))
    folder.chmod(0o711)
    try:
        with _dovecot(folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _dovecot(folder: Path) -> Iterator[ImapServer]:
    _, client_tls = self_signed_tls(folder)  # writes smtp-cert.pem and smtp-key.pem
    uid, gid = _mail_owner()
    for part in ("run", "state", "mail"):
        (folder / part).mkdir(exist_ok=True)
    os.chown(folder / "mail", uid, gid)
    (folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port, tls_port = free_port(), free_port()
    config = folder / "dovecot.conf"
    config.write_text(_CONFIG.format(folder=folder, uid=uid, gid=gid, port=port, tls_port=tls_port))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        try:
            _wait_for(port, time.monotonic() + 15)
            _wait_for(tls_port, time.monotonic() + 5)
            server = ImapServer("127.0.0.1", port, tls_port, client_tls, folder)
            _wait_for_login(server, time.monotonic() + 15)
        except (OSError, imaplib.IMAP4.error):
            process.kill()
            log = (folder / "dovecot.log").read_text() if (folder / "dovecot.log").exists() else ""
            raise RuntimeError(f"Dovecot did not start: {process.stderr.read().decode()}{log}") from None
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
