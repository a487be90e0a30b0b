"""How a composed e-mail leaves the application: an .eml file in the outbox folder, or SMTP.

`build_message` turns a composed mail into a standard `EmailMessage` (UTF-8 throughout, so
Cyrillic and Romanian diacritics survive); a transport sends it. Transports raise `MailError`
(`permanent` when retrying cannot help) and never touch the database.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from msgspec import Struct

from ..clock import now_utc

log = logging.getLogger(__name__)


class MailAttachment(Struct, frozen=True):
    filename: str
    data: bytes
    content_type: str = "application/pdf"


class OutgoingMail(Struct, frozen=True):
    """Everything one e-mail says, as plain data (see app/mail/compose.py)."""

    to: tuple[str, ...]
    subject: str
    body: str
    language: str
    attachments: tuple[MailAttachment, ...] = ()
    #: Stable per outbox row, so a receiving server can drop a duplicate of a re-sent message.
    message_id: str | None = None
    #: Where a reply goes: the registry's mailbox, read by mail intake (app/mailin); None: no header.
    reply_to: str | None = None


#: Bodies and attachments as quoted-printable or base64 (whichever is shorter), so the message
#: passes through any server, with or without 8BITMIME.
_POLICY = policy.default.clone(cte_type="7bit")


class MailError(Exception):
    """Sending failed. `permanent`: the server refused for good (5xx); retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class TransportUnavailable(MailError):
    """The mail server could not be reached at all: nothing else in this run will get through."""


class Transport(Protocol):
    def __enter__(self) -> Transport: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def send(self, message: EmailMessage) -> list[str]:
        """Send `message` to its To addresses; return the addresses that were accepted."""
        ...


def sender_domain(sender: str) -> str:
    """The domain of the From address ('localhost' when it has none), for Message-IDs."""
    addresses = getaddresses([sender])
    address = addresses[0][1] if addresses else ""
    return address.rpartition("@")[2] or "localhost"


def build_message(mail: OutgoingMail, *, sender: str) -> EmailMessage:
    """A complete RFC 5322 message: From, To, Subject, Date, Message-ID, text body, attachments."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now_utc())
    message["Message-ID"] = mail.message_id or f"<{secrets.token_hex(16)}@{sender_domain(sender)}>"
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, no vacation loops
    message.set_content(mail.body, charset="utf-8")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    message["Content-Language"] = mail.language  # last: setting the content drops Content-* headers
    return message


def recipients_of(message: EmailMessage) -> list[str]:
    """The bare addresses in the message's To header."""
    return [address for _name, address in getaddresses(message.get_all("To", [])) if address]


#: Orders the files one process writes within the same microsecond (or under a frozen clock).
_written = itertools.count(1)


class OutboxTransport:
    """Write each message as an .eml file into a folder (development and tests: no server).

    Names start with the UTC time (then a counter), so `ls` lists them in the order they were sent; each file
    is written under a temporary name and renamed, so a reader never sees half a message.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def __enter__(self) -> OutboxTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def send(self, message: EmailMessage) -> list[str]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{now_utc():%Y%m%dT%H%M%S%fZ}-{next(_written):06d}-{secrets.token_hex(4)}.eml"
            temporary = self.directory / f".{name}.tmp"
            with open(temporary, "wb") as file:
                file.write(message.as_bytes())
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.directory / name)
        except OSError as error:
            raise MailError(f"cannot write to the outbox folder {self.directory}: {error}") from error
        log.info("mail %s written to %s", message["Message-ID"], self.directory / name)
        return recipients_of(message)


class SmtpTransport:
    """Send through an SMTP server: one connection per delivery run, opened on first use.

    Implicit TLS (MAIL_USE_SSL) or STARTTLS (MAIL_USE_STARTTLS), a login when a user name is
    set, and a timeout on every network operation, so a dead server cannot hang a sender.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        use_ssl: bool = False,
        use_starttls: bool = False,
        username: str = "",
        password: str = "",
        timeout: float = 20,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.use_ssl, self.use_starttls = use_ssl, use_starttls
        self.username, self.password = username, password
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def _connect(self) -> smtplib.SMTP:
        where = f"{self.host}:{self.port}"
        context = self.ssl_context or ssl.create_default_context()
        try:
            if self.use_ssl:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as error:
            raise TransportUnavailable(f"cannot connect to the mail server {where}: {_describe(error)}") from error
        try:
            connection.ehlo_or_helo_if_needed()
            if self.use_starttls:
                connection.starttls(context=context)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as error:
            connection.close()
            raise TransportUnavailable(f"the mail server {where} refused the login: {_describe(error)}") from error
        except (smtplib.SMTPException, OSError) as error:
            connection.close()
            raise TransportUnavailable(f"cannot open a session with the mail server {where}: "
                                       f"{_describe(error)}") from error
        return connection

    def send(self, message: EmailMessage) -> list[str]:
        recipients = recipients_of(message)
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = self._connect()
            try:
                refused = self._connection.send_message(message, to_addrs=recipients)
            except smtplib.SMTPServerDisconnected as error:
                # A connection kept from the previous message may have been dropped by the
                # server meanwhile: reconnect once before calling it a failure.
                self._connection = None
                if attempt == 2:
                    raise MailError(f"the mail server closed the connection: {_describe(error)}") from error
                continue
            except smtplib.SMTPRecipientsRefused as error:
                codes = [code for code, _text in error.recipients.values()]
                raise MailError(
                    f"every recipient was refused: {_refusals(error.recipients)}",
                    permanent=all(code >= 500 for code in codes),
                ) from error
            except smtplib.SMTPResponseException as error:
                self._reset()
                raise MailError(f"the mail server refused the message: {_describe(error)}",
                                permanent=error.smtp_code >= 500) from error
            except (smtplib.SMTPException, OSError) as error:
                self.close()
                raise MailError(f"sending failed: {_describe(error)}") from error
            if refused:
                # Codes only: the addresses are personal data (the row keeps them for staff).
                log.warning("mail %s: %d recipient(s) refused (%s)", message["Message-ID"], len(refused),
                            ", ".join(str(code) for code, _text in refused.values()))
            return [address for address in recipients if address not in refused]
        raise AssertionError("unreachable")

    def _reset(self) -> None:
        """After a refused message, leave the connection usable for the next one."""
        if self._connection is None:
            return
        try:
            self._connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close()


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address} ({code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text})"
        for address, (code, text) in refused.items()
    )


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    """The transport MAIL_TRANSPORT names ("outbox" or "smtp")."""
    kind = config["MAIL_TRANSPORT"]
    if kind == "outbox":
        return OutboxTransport(config["MAIL_OUTBOX_DIR"])
    if kind == "smtp":
        return SmtpTransport(
            config["MAIL_SERVER"],
            int(config["MAIL_PORT"]),
            use_ssl=bool(config["MAIL_USE_SSL"]),
            use_starttls=bool(config["MAIL_USE_STARTTLS"]),
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            timeout=float(config["MAIL_TIMEOUT"]),
        )
    raise ValueError(f"MAIL_TRANSPORT must be 'outbox' or 'smtp', not {kind!r}")
