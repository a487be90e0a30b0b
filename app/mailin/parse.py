"""What a raw e-mail says: its headers decoded, the sender, the subject, the visible text, its
files and the signs that a machine sent it. Plain Python on bytes: no database, no request.

Real mail is messy, so nothing here trusts the message: a header that does not decode is read
byte by byte, a wrong or missing charset is guessed (charset-normalizer), an HTML-only message is
turned into plain text (the HTML itself is never rendered: it stays in the raw message kept as
evidence), and the quoted history of a reply is cut from the visible text. `parse` raises only
on a message that has no readable structure at all; the caller keeps it raw as unreadable.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING

from msgspec import Struct, field

from ..text import clean_text, normalise_email, single_line

if TYPE_CHECKING:
    import lxml.html

#: Longest visible text kept on the tray item (the raw message keeps everything).
TEXT_LIMIT = 100_000


class MailFile(Struct, frozen=True):
    """A file the message carries: attached, or an image shown inline."""

    filename: str
    content_type: str  # as the message declares it
    content: bytes
    inline: bool = False


class ParsedMail(Struct, frozen=True):
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender_name: str
    sender_address: str | None  # normalised; None when the From header names no valid address
    subject: str
    date: datetime | None
    #: The text the sender wrote, quoted history cut (what staff read and what is registered).
    text: str
    #: The whole text part, quotes included.
    full_text: str
    html_only: bool
    files: tuple[MailFile, ...]
    #: Why a machine sent it (auto-reply, bounce, bulk, list), or None.
    automatic: str | None
    headers: dict[str, str] = field(default_factory=dict)


# --- headers --------------------------------------------------------------------------------


def _undo_raw_bytes(value: str) -> str:
    """A header written in 8-bit without RFC 2047 encoding comes back with its bytes as
    surrogates: decode them as UTF-8, else as whatever charset-normalizer finds."""
    if not re.search("[\udc80-\udcff]", value):
        return value
    raw = value.encode("ascii", "surrogateescape")
    return _decode_bytes(raw, None)


def header(message: Message, name: str) -> str:
    """A header's decoded text ("" when absent); never raises on a malformed one."""
    try:
        value = message.get(name)
        if value is None:
            return ""
        text = str(value)
    except Exception:  # noqa: BLE001 - a header the modern parser chokes on: decode it by hand
        raw = message.get_all(name, failobj=[""])
        text = _decode_words(str(raw[0]) if raw else "")
    if "=?" in text:  # encoded words the parser left alone (e.g. inside a broken address)
        text = _decode_words(text)
    return clean_text(_undo_raw_bytes(text))


def _decode_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # noqa: BLE001 - an unknown charset or a broken word: keep the text as it is
        return text


def message_ids(text: str) -> tuple[str, ...]:
    """The Message-IDs in a header (In-Reply-To, References), without angle brackets."""
    found = re.findall(r"<([^<>\s]{1,500})>", text)
    if not found and text.strip() and " " not in text.strip():
        found = [text.strip()]
    return tuple(found)


def peek_headers(raw: bytes) -> dict[str, str]:
    """The few headers the arrival record names (Message-ID, From, Subject), read from the header
    block alone; {} when even that cannot be read. Never raises."""
    try:
        head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:256 * 1024])
        ids = message_ids(_undo_raw_bytes(str(head.get("Message-ID", ""))))
        return {
            "message_id": ids[0] if ids else "",
            "from": single_line(_undo_raw_bytes(_decode_words(str(head.get("From", "")))))[:500],
            "subject": single_line(_undo_raw_bytes(_decode_words(str(head.get("Subject", "")))))[:500],
        }
    except Exception:  # noqa: BLE001 - the arrival is recorded whatever the bytes are
        return {}


def _sender(message: Message) -> tuple[str, str | None]:
    text = header(message, "From")
    try:
        pairs = getaddresses([text])
    except Exception:  # noqa: BLE001
        pairs = []
    name, address = pairs[0] if pairs else ("", "")
    if not address:
        match = re.search(r"[^\s<>@]+@[^\s<>@]+", text)
        address = match.group(0) if match else ""
    return single_line(clean_text(name)).strip(" \"'")[:200], normalise_email(address) if address else None


def _date(message: Message) -> datetime | None:
    try:
        moment = parsedate_to_datetime(header(message, "Date"))
    except Exception:  # noqa: BLE001 - a missing or unreadable date
        return None
    return moment if moment.tzinfo is not None else None


# --- machines --------------------------------------------------------------------------------

_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)


def automatic_sign(message: Message, sender_address: str | None) -> str | None:
    """Why a machine sent this message (RFC 3834 and the usual conventions), or None: such a
    message is never answered and never registered, so no two robots write to each other."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted[:60]}"
    precedence = header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if message.get(name) is not None:
            return f"{name}: {header(message, name)[:60]}"
    if message.get("List-Id") is not None:
        return "List-Id: mail from a mailing list"
    return_path = message.get("Return-Path")
    if return_path is not None and str(return_path).strip() in ("<>", ""):
        return "Return-Path: <> (a delivery report)"
    if message.get_content_type() == "multipart/report":
        return "multipart/report (a delivery or read report)"
    if sender_address and _DAEMONS.match(sender_address):
        return f"sent by {sender_address.split('@')[0]}"
    return None


# --- bodies ----------------------------------------------------------------------------------


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes as text: in the declared charset when it decodes them, else UTF-8, else the best
    guess of charset-normalizer, else Latin-1 (which decodes anything)."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes  # loaded by the first such message, not at start-up

    guess = from_bytes(data).best()
    if guess is not None:
        return str(guess)
    return data.decode("latin-1")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if isinstance(payload, str):  # pragma: no cover - get_payload(decode=True) gives bytes
        payload = payload.encode("utf-8", "surrogateescape")
    charset = part.get_content_charset()
    return _decode_bytes(payload, charset)


#: Elements that stand apart from what is around them (a blank line), and those that only start
#: a new line, when HTML is turned into text.
_PARAGRAPHS = frozenset({
    "p", "div", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "section", "article",
    "header", "footer", "hr", "address", "ul", "ol", "dl",
})
_LINES = frozenset({"li", "tr", "dd", "dt"})
_DROPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"})


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: the words and line breaks, nothing else (no markup,
    no scripts, no styles, no images). For reading only: the HTML stays in the raw message."""
    if not html.strip():
        return ""
    import lxml.html  # loaded by the first HTML body, not by every worker at start-up

    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - not HTML at all: strip anything tag-like
        return clean_text(re.sub(r"<[^>]*>", " ", html))
    pieces: list[str] = []

    def breaks(count: int) -> None:
        """End the text so far with at least `count` line breaks."""
        text = "".join(pieces[-3:])
        have = len(text) - len(text.rstrip("\n"))
        if pieces and have < count:
            pieces.append("\n" * (count - have))

    def walk(element: lxml.html.HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag not in _DROPPED:
            if tag in _PARAGRAPHS:
                breaks(2)
            elif tag in _LINES:
                breaks(1)
            if tag == "li":
                pieces.append("- ")
            elif tag in ("td", "th"):
                pieces.append(" ")
            if element.text and tag:
                pieces.append(element.text)
            for child in element:
                walk(child)
            if tag in _PARAGRAPHS:
                breaks(2)
            elif tag in _LINES:
                breaks(1)
            elif tag == "br":
                pieces.append("\n")
        if element.tail:
            pieces.append(element.tail)

    walk(root)
    text = "".join(pieces).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return clean_text(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)))


# --- quoted history ---------------------------------------------------------------------------

_WROTE = re.compile(
    r"(wrote|написал|написала|написал\(а\)|написав|написала|написав\(ла\)|пишет|пише|a scris|scrie)\s*:\s*$",
    re.IGNORECASE,
)
_WROTE_START = re.compile(r"^(on|в|во|у|în|in|pe|le|am)\s", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|forwarded message|исходное сообщение|оригинальное сообщение|"
    r"пересланное сообщение|вихідне повідомлення|оригінальне повідомлення|mesaj original|mesajul original|"
    r"mesaj redirecționat)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FROM_LINE = re.compile(r"^\s*\**(from|от|від|de la|de)\s*:\**\s*\S", re.IGNORECASE)
_BLOCK_LINE = re.compile(r"^\s*\**(sent|date|to|subject|cc|отправлено|дата|кому|тема|надіслано|"
                         r"trimis|data|către|catre|subiect)\s*:", re.IGNORECASE)
_RULE = re.compile(r"^\s*_{10,}\s*$")


def strip_quoted(text: str) -> str:
    """The reply without the mail it quotes: cut at "On ... wrote:", "-----Original Message-----",
    Outlook's From:/Sent: block, in English, Russian, Ukrainian and Romanian; lines quoted with
    ">" dropped. The whole text when that would leave nothing."""
    lines = text.splitlines()
    cut = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        joined = " ".join((stripped, lines[index + 1].strip())) if index + 1 < len(lines) else stripped
        if _ORIGINAL.match(stripped) or _RULE.match(stripped) and _quoted_block(lines, index + 1):
            cut = index
            break
        if _WROTE.search(stripped) and _WROTE_START.match(stripped) or (
            _WROTE_START.match(stripped) and _WROTE.search(joined) and not _WROTE.search(stripped)
            and len(stripped) < 200
        ):
            cut = index
            break
        if _FROM_LINE.match(stripped) and _quoted_block(lines, index):
            cut = index
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    visible = "\n".join(kept).strip()
    return visible if visible else text.strip()


def _quoted_block(lines: list[str], start: int) -> bool:
    """Whether an Outlook header block (From:, then Sent:/Date:/To:/Subject:) starts at `start`."""
    window = [line.strip() for line in lines[start:start + 6] if line.strip()]
    return bool(window) and _FROM_LINE.match(window[0]) is not None and sum(
        1 for line in window[1:5] if _BLOCK_LINE.match(line)) >= 2


# --- the message -------------------------------------------------------------------------------


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    maintype = part.get_content_maintype()
    if maintype == "multipart":
        return False
    if maintype == "text" and part.get_content_subtype() in ("plain", "html") and not part.get_filename():
        return False
    return maintype != "text" or bool(part.get_filename())


def _files(message: Message) -> Iterator[MailFile]:
    for index, part in enumerate(_leaves(message), start=1):
        if not _is_attachment(part):
            continue
        try:
            filename = part.get_filename() or ""
        except Exception:  # noqa: BLE001
            filename = ""
        filename = clean_text(_undo_raw_bytes(_decode_words(filename)))
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            content = inner.as_bytes() if isinstance(inner, Message) else b""
            filename = filename or f"message-{index}.eml"
        else:
            content = part.get_payload(decode=True) or b""
        yield MailFile(
            filename=filename or f"attachment-{index}",
            content_type=content_type,
            content=content,
            inline=(part.get_content_disposition() or "") == "inline",
        )


def _leaves(message: Message) -> Iterator[Message]:
    """Every non-multipart part, in order; an attached message counts as one part."""
    if message.get_content_type() == "message/rfc822":
        yield message
        return
    if message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _leaves(part)
        return
    yield message


def _bodies(message: Message) -> tuple[str, bool]:
    """The text of the message and whether it had no plain text (HTML only). The first text/plain
    part that is not an attachment, else the first text/html one converted."""
    plain = html = None
    for part in _leaves(message):
        if _is_attachment(part):
            continue
        subtype = part.get_content_subtype()
        if subtype == "plain" and plain is None:
            plain = _part_text(part)
        elif subtype == "html" and html is None:
            html = _part_text(part)
    if plain is not None and plain.strip():
        return clean_text(plain.replace("\r\n", "\n")), False
    if html is not None:
        return html_to_text(html), True
    return clean_text(plain or ""), False


def parse(raw: bytes) -> ParsedMail:
    """Read a raw message (see the module's docstring)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise ValueError("no e-mail headers: this is not an e-mail message")
    sender_name, sender_address = _sender(message)
    full_text, html_only = _bodies(message)
    ids = message_ids(header(message, "Message-ID"))
    return ParsedMail(
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(header(message, "In-Reply-To")),
        references=message_ids(header(message, "References")),
        sender_name=sender_name,
        sender_address=sender_address,
        subject=single_line(header(message, "Subject"))[:500],
        date=_date(message),
        text=strip_quoted(full_text)[:TEXT_LIMIT],
        full_text=full_text,
        html_only=html_only,
        files=tuple(_files(message)),
        automatic=automatic_sign(message, sender_address),
    )


# --- language --------------------------------------------------------------------------------

_UKRAINIAN = re.compile("[ієїґІЄЇҐ]")
_CYRILLIC = re.compile("[а-яА-ЯёЁ]")
_ROMANIAN = re.compile("[ăâîșțşţĂÂÎȘȚŞŢ]")


def language_of(text: str, default: str) -> str:
    """The language a message is written in, where its letters tell: Cyrillic (Ukrainian by its
    own letters, else Russian), Romanian diacritics; else `default`."""
    if _CYRILLIC.search(text):
        return "uk" if _UKRAINIAN.search(text) else "ru"
    if _ROMANIAN.search(text):
        return "ro"
    return default
