"""Demo data for trying the registry at scale: `flask registry seed-demo --count N`.

Loads N made-up complaints (names in English, Romanian, Russian and Ukrainian, every category
and channel, dates spread over about two years) as fast as the database takes them, and yet
exactly as registration would have stored them: numbers are taken from the per-year counters
(`take_numbers`), and every complaint gets its signed intake entry on the hash chain (the
payload from `Complaint.registry_payload`, appended by `append_entries`, recorded at the
complaint's registration), so `flask registry verify` passes afterwards. A few are annulled
with the real `annul_complaint`. On PostgreSQL the rows go in with COPY; elsewhere with
multi-row INSERTs.

Each batch is one unit of work: it locks the counters and the chain head like a registration,
and commits counters, complaints, entries and the head together.

A registry that received demo complaints says so for good (app/registry/demo.py: every page
shows a ribbon); demo data is never loaded in production (`DEMO_DATA_ALLOWED`).
`flask registry seed-demo` without `--count` tells the story of app/journal/demo.py instead:
fewer complaints, each handled by the real operations.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any

from flask import current_app
from msgspec import Struct, field
from sqlalchemy import func, select

from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.access import _ALPHABET as ACCESS_CODE_ALPHABET
from ..complaints.access import ACCESS_CODE_LENGTH
from ..complaints.models import Channel, Complaint, ComplaintStatus
from ..database import allow_bulk_load_memory, commit_with_retry, reserve_ids, rows_into
from ..desk.operations import annul_complaint
from ..extensions import db
from ..registry.chain import Private, append_entries
from ..registry.demo import DemoDataRefused, count_demo_complaints, demo_data_allowed
from ..registry.models import ChainHead, EntryKind
from ..registry.numbering import format_number, incoming_scope, number_slug, registry_year, take_numbers
from ..settings.store import current_policy, current_settings
from ..workflow.deadlines import registration_clock

log = logging.getLogger(__name__)


class RegistryNotEmpty(Exception):
    """The registry already holds complaints (or entries), and appending was not asked for."""


class SeedReport(Struct):
    created: int = 0
    annulled: int = 0
    seconds: float = 0.0
    per_year: dict[int, int] = field(default_factory=dict)
    annul_note: str = ""


# --- what the demo complaints say ----------------------------------------------------------

_PEOPLE = {
    "en": (
        ["John", "Emily", "Michael", "Sarah", "David", "Laura", "James", "Olivia", "Daniel", "Grace"],
        ["Smith", "Clarke", "O'Neill", "Taylor", "Brown", "Wright", "Hughes", "Evans", "Walker", "Baker"],
        None,
    ),
    "ro": (
        ["Ana-Maria", "Ion", "Mihai", "Elena", "Ștefan", "Ioana", "Tudor", "Cristina", "Vasile", "Doina",
         "Andrei", "Mariana", "Sergiu", "Natalia", "Radu", "Lilia"],
        ["Ștefănescu", "Țurcanu", "Popescu", "Rusu", "Munteanu", "Ciobanu", "Lungu", "Căpățînă", "Bălan",
         "Cojocaru", "Moraru", "Sîrbu", "Grosu", "Țîbuleac", "Păduraru"],
        None,
    ),
    "ru": (
        ["Иван", "Сергей", "Алексей", "Дмитрий", "Андрей", "Ольга", "Наталья", "Екатерина", "Татьяна", "Мария"],
        ["Петров", "Иванов", "Смирнов", "Кузнецов", "Соколов", "Попов", "Лебедев", "Волков", "Фёдоров"],
        5,  # the first five first names are men's; women's surnames take -а
    ),
    "uk": (
        ["Олександр", "Тарас", "Юрій", "Богдан", "Євген", "Оксана", "Галина", "Ірина", "Леся", "Ярина"],
        ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравчук", "Мельник", "Ґонта", "Їжакевич",
         "Гнатюк"],
        None,
    ),
}

_LANGUAGE_WEIGHTS = {"ro": 45, "ru": 30, "uk": 10, "en": 15}

#: (subject, description) per language and category; {amount}, {day}, {ref} are filled in.
_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "payments": ("Withdrawal of {amount} MDL has not arrived",
                     "I requested a withdrawal of {amount} MDL on {day}. The money has not reached my card "
                     "and support has not answered. Transaction reference {ref}."),
        "bet_settlement": ("Winning bet settled as lost",
                           "My accumulator {ref} on {day} was settled as lost although all selections won. "
                           "Please settle it again and pay {amount} MDL."),
        "technical": ("The app logs me out during live betting",
                      "Since {day} the app logs me out whenever I open live betting. I lost a bet of "
                      "{amount} MDL because of it (ticket {ref})."),
        "bonuses": ("Welcome bonus was not credited",
                    "I deposited {amount} MDL on {day} under the welcome offer but the bonus never "
                    "appeared in my account {ref}."),
        "account": ("Account blocked after verification",
                    "My account {ref} was blocked on {day} after I sent my documents; {amount} MDL remain "
                    "on the balance."),
        "support_quality": ("Rude answer from the support team",
                            "On {day} an operator closed my chat without answering about {amount} MDL "
                            "(conversation {ref})."),
        "other": ("Advertising messages after unsubscribing",
                  "I unsubscribed on {day} but I still get messages every day. Reference {ref}."),
    },
    "ro": {
        "payments": ("Retragerea de {amount} MDL nu a ajuns",
                     "Am cerut retragerea a {amount} MDL pe {day}; banii nu au ajuns pe card, iar "
                     "asistența nu răspunde. Referința tranzacției {ref}."),
        "bet_settlement": ("Pariu câștigător decontat ca pierdut",
                           "Biletul {ref} din {day} a fost decontat ca pierdut, deși toate evenimentele "
                           "au intrat. Cer recalcularea și plata a {amount} MDL."),
        "technical": ("Aplicația se închide în timpul pariurilor live",
                      "Din {day} aplicația mă deconectează la fiecare pariu live; am pierdut {amount} MDL "
                      "(biletul {ref})."),
        "bonuses": ("Bonusul de bun venit nu a fost acordat",
                    "Am depus {amount} MDL pe {day} în cadrul promoției, dar bonusul nu a apărut în "
                    "contul {ref}."),
        "account": ("Cont blocat după verificare",
                    "Contul {ref} a fost blocat pe {day} după ce am trimis actele; pe sold au rămas "
                    "{amount} MDL."),
        "support_quality": ("Răspuns nepoliticos de la asistență",
                            "Pe {day} operatorul a închis discuția fără să răspundă despre {amount} MDL "
                            "(conversația {ref})."),
        "other": ("Mesaje publicitare după dezabonare",
                  "M-am dezabonat pe {day}, dar primesc în continuare mesaje zilnic. Referința {ref}."),
    },
    "ru": {
        "payments": ("Вывод {amount} MDL не поступил",
                     "Я запросил вывод {amount} MDL {day}. Деньги не поступили на карту, поддержка не "
                     "отвечает. Номер транзакции {ref}."),
        "bet_settlement": ("Выигрышная ставка рассчитана как проигрыш",
                           "Экспресс {ref} от {day} рассчитан как проигрышный, хотя все события сыграли. "
                           "Прошу пересчитать и выплатить {amount} MDL."),
        "technical": ("Приложение вылетает во время лайв-ставок",
                      "С {day} приложение разлогинивает меня при каждой лайв-ставке; я потерял {amount} MDL "
                      "(купон {ref})."),
        "bonuses": ("Не начислен приветственный бонус",
                    "Я пополнил счёт на {amount} MDL {day} по акции, но бонус так и не появился на счёте {ref}."),
        "account": ("Аккаунт заблокирован после верификации",
                    "Аккаунт {ref} заблокирован {day} после отправки документов; на балансе осталось "
                    "{amount} MDL."),
        "support_quality": ("Грубый ответ службы поддержки",
                            "{day} оператор закрыл чат, не ответив по поводу {amount} MDL (обращение {ref})."),
        "other": ("Рекламные сообщения после отписки",
                  "Я отписался {day}, но сообщения приходят каждый день. Номер обращения {ref}."),
    },
    "uk": {
        "payments": ("Виведення {amount} MDL не надійшло",
                     "Я замовив виведення {amount} MDL {day}. Гроші не надійшли на картку, підтримка "
                     "мовчить. Номер транзакції {ref}."),
        "bet_settlement": ("Виграшну ставку розраховано як програш",
                           "Експрес {ref} від {day} розраховано як програшний, хоча всі події зіграли. "
                           "Прошу перерахувати й виплатити {amount} MDL."),
        "technical": ("Застосунок вилітає під час лайв-ставок",
                      "З {day} застосунок виходить з акаунта при кожній лайв-ставці; я втратив {amount} MDL "
                      "(купон {ref})."),
        "bonuses": ("Не нараховано вітальний бонус",
                    "Я поповнив рахунок на {amount} MDL {day} за акцією, але бонус не з'явився на рахунку {ref}."),
        "account": ("Обліковий запис заблоковано після верифікації",
                    "Обліковий запис {ref} заблоковано {day} після надсилання документів; на балансі "
                    "лишилося {amount} MDL."),
        "support_quality": ("Груба відповідь служби підтримки",
                            "{day} оператор закрив чат, не відповівши щодо {amount} MDL (звернення {ref})."),
        "other": ("Рекламні повідомлення після відписки",
                  "Я відписався {day}, але повідомлення приходять щодня. Номер звернення {ref}."),
    },
}

_OUTCOMES = {
    "en": "Pay what is owed and explain the delay.",
    "ro": "Plata sumei datorate și explicația întârzierii.",
    "ru": "Выплатить причитающееся и объяснить задержку.",
    "uk": "Виплатити належне й пояснити затримку.",
}

_CHANNEL_WEIGHTS = {
    Channel.WEB: 55, Channel.API: 15, Channel.EMAIL: 10, Channel.PAPER: 7, Channel.POST: 5,
    Channel.PHONE: 5, Channel.IN_PERSON: 3,
}
_CATEGORY_WEIGHTS = {"payments": 30, "bet_settlement": 20, "technical": 15, "bonuses": 12, "account": 12,
                     "support_quality": 6, "other": 5}
ANNUL_SHARE = 0.002

_CYRILLIC = dict(zip(
    "абвгґдеєёжзиіїйклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "h", "g", "d", "e", "ie", "io", "zh", "z", "y", "i", "i", "i", "k", "l", "m", "n", "o",
     "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia"],
    strict=True,
))


@cache
def _ascii(name: str) -> str:
    """A name as an e-mail local part: 'Ștefănescu' -> 'stefanescu', 'Фёдоров' -> 'fiodorov'."""
    latin = "".join(_CYRILLIC.get(ch, ch) for ch in name.lower())
    return "".join(ch for ch in unicodedata.normalize("NFKD", latin) if ch.isascii() and ch.isalnum())


def _access_code() -> str:
    """A random access code like `new_access_code`'s, made ten times faster: base-31 digits of
    one 80-bit random number (31**12 is under 2**60, so the digits are as good as uniform)."""
    number = secrets.randbits(80)
    digits = []
    for _ in range(ACCESS_CODE_LENGTH):
        number, digit = divmod(number, len(ACCESS_CODE_ALPHABET))
        digits.append(ACCESS_CODE_ALPHABET[digit])
    return "".join(digits)


class _Maker:
    """Makes the values of one demo complaint (everything but its number)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.languages = list(_LANGUAGE_WEIGHTS)
        self.language_weights = list(_LANGUAGE_WEIGHTS.values())
        self.channels = list(_CHANNEL_WEIGHTS)
        self.channel_weights = list(_CHANNEL_WEIGHTS.values())
        configured = {c.code for c in current_settings().offered_categories}
        self.categories = [c for c in _CATEGORY_WEIGHTS if c in configured] or sorted(configured)
        self.category_weights = [_CATEGORY_WEIGHTS.get(c, 5) for c in self.categories]
        self.policy = current_policy()
        self.settings = current_settings()

    def person(self, language: str) -> tuple[str, str]:
        firsts, lasts, men = _PEOPLE[language]
        index = self.rng.randrange(len(firsts))
        last = self.rng.choice(lasts)
        if men is not None and index >= men:
            last += "а"
        return firsts[index], last

    def values(self, registered_at: datetime) -> dict[str, Any]:
        rng = self.rng
        language = rng.choices(self.languages, self.language_weights)[0]
        channel = rng.choices(self.channels, self.channel_weights)[0]
        category = rng.choices(self.categories, self.category_weights)[0]
        first, last = self.person(language)
        full_name = f"{first} {last}"
        contact = rng.random()
        email = (f"{_ascii(first)}.{_ascii(last)}{rng.randrange(1, 1000)}@"
                 f"{rng.choice(('example.md', 'mail.example.com', 'example.ro', 'example.net'))}"
                 if contact < 0.85 else None)
        phone = f"+373{rng.choice('67')}{rng.randrange(10_000_000):07d}" if contact > 0.6 else None
        subject, description = _TEXTS[language].get(category, _TEXTS[language]["other"])
        fill = {
            "amount": rng.choice((50, 100, 150, 200, 250, 300, 500, 750, 1000, 1500, 2000, 5000)),
            "day": (registered_at - timedelta(days=rng.randrange(1, 20))).strftime("%d.%m.%Y"),
            "ref": f"{rng.choice('ABCDEFHKMPTX')}{rng.randrange(10**7, 10**8)}",
        }
        if channel in (Channel.POST, Channel.PAPER):
            received_at = registered_at - timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
        elif channel in (Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL):
            received_at = registered_at - timedelta(minutes=rng.randrange(1, 60))
        else:
            received_at = registered_at
        return {
            "access_code": _access_code(),
            "personal_salt": secrets.token_hex(16),
            "status": ComplaintStatus.REGISTERED,
            "channel": channel,
            "registered_at": registered_at,
            "received_at": received_at,
            **registration_clock(received_at, registered_at, self.policy, self.settings.first_response_period(
                self.settings.clock_policies.for_category(category)), self.settings.calendar),
            "full_name": full_name,
            "email": email,
            "phone": phone,
            "postal_address": f"str. Mihai Eminescu {rng.randrange(1, 120)}, Chișinău" if rng.random() < 0.3 else None,
            "category": category,
            "subject": subject.format(**fill),
            "description": description.format(**fill),
            "desired_outcome": _OUTCOMES[language],
            "language": language,
            "signature_name": full_name,
            "declaration_confirmed": True,
            "registered_by_id": None,
        }


# --- loading ---------------------------------------------------------------------------------


def registry_is_empty() -> bool:
    """No complaint and no registry entry yet."""
    head = db.session.get(ChainHead, 1)
    return db.session.scalar(select(Complaint.id).limit(1)) is None and (head is None or head.position == 0)


def seed_demo(
    count: int,
    *,
    batch_size: int = 10_000,
    append: bool = False,
    days: int = 730,
    random_seed: int | None = None,
    annul_share: float = ANNUL_SHARE,
    progress: Callable[[int, float], None] | None = None,
) -> SeedReport:
    """Register `count` demo complaints spread over the last `days` days, in batches."""
    if not demo_data_allowed():
        raise DemoDataRefused
    if not registry_is_empty() and not append:
        raise RegistryNotEmpty(
            "The registry is not empty. Demo complaints go only into an empty registry; "
            "use --append to add them after the complaints already there."
        )
    started = time.perf_counter()
    rng = random.Random(random_seed)  # noqa: S311  (demo data, reproducible by --seed; not secrets)
    maker = _Maker(rng)
    end = now_utc()
    start = end - timedelta(days=days)
    last = db.session.scalar(select(func.max(Complaint.registered_at)))
    if last is not None and last > start:
        start = min(last + timedelta(microseconds=1), end)
    step = (end - start) / count
    db.session.rollback()  # end the reading transaction; each batch is its own unit of work

    report = SeedReport()
    annul_ids: list[int] = []
    for first in range(0, count, batch_size):
        moments = [start + step * (i + rng.random()) for i in range(first, min(first + batch_size, count))]
        years = commit_with_retry(lambda moments=moments: _load_batch(moments, maker))
        for year, complaint_id in years:
            report.per_year[year] = report.per_year.get(year, 0) + 1
            if rng.random() < annul_share:
                annul_ids.append(complaint_id)
        report.created += len(moments)
        if progress:
            progress(report.created, time.perf_counter() - started)

    report.annulled, report.annul_note = _annul_some(annul_ids)
    report.seconds = time.perf_counter() - started
    log.info("seeded %d demo complaints in %.1f s", report.created, report.seconds)
    return report


def _load_batch(moments: list[datetime], maker: _Maker) -> list[tuple[int, int]]:
    """Number, sign and store the complaints registered at `moments` (one unit of work): their
    numbers taken from the counters, their intake entries appended to the chain, both locked
    until the commit as in a registration. Answers (year, id) each."""
    timezone_name, pattern = current_app.config["REGISTRY_TIMEZONE"], current_settings().number_format
    years = [registry_year(moment, timezone_name) for moment in moments]
    next_seq = {year: take_numbers(incoming_scope(year), years.count(year)) for year in sorted(set(years))}
    ids = reserve_ids(Complaint.__table__, len(moments))
    records, privates = [], []
    allow_bulk_load_memory()
    # Rows stream to the database while the next ones are made (COPY on PostgreSQL).
    with rows_into(Complaint.__table__, _COMPLAINT_COLUMNS) as write:
        for complaint_id, year, moment in zip(ids, years, moments, strict=True):
            seq = next_seq[year]
            next_seq[year] = seq + 1
            number = format_number(year, seq, pattern)
            values = maker.values(moment)
            values.update(id=complaint_id, year=year, seq=seq, number=number, slug=number_slug(number))
            write(values)
            # The signed record, built by the model's own methods (they only read attributes).
            complaint = SimpleNamespace(**values, attachments=[])
            records.append((Complaint.registry_payload(complaint), complaint_id))
            privates.append(Private(values["personal_salt"], Complaint.private_record(complaint)))
    count_demo_complaints(len(moments))  # a counter like the numbers': locked before the chain head
    append_entries(EntryKind.INTAKE, records, recorded_at=moments, private=privates)
    return list(zip(years, ids, strict=True))


_COMPLAINT_COLUMNS = (
    "id", "year", "seq", "number", "slug", "access_code", "personal_salt", "status", "channel", "registered_at", "received_at",
    "first_response_due", "full_name", "email", "phone", "postal_address", "category", "subject",
    "description", "desired_outcome", "language", "signature_name", "declaration_confirmed", "registered_by_id",
    "tier", "first_responded_at", "first_response_warned_at", "first_response_breached_at",
    "resolution_started_at", "resolution_due", "resolution_warned_at", "next_check_at",
)


def _annul_some(complaint_ids: list[int]) -> tuple[int, str]:
    """Annul a few of the demo complaints with the real operation, as a staff member who may."""
    if not complaint_ids:
        return 0, ""
    by = next((u for u in db.session.scalars(select(User).order_by(User.id)) if u.can(Permission.ANNUL)), None)
    if by is None:
        return 0, "no staff account may annul, so none were annulled (create one with `flask users demo`)"

    def work() -> int:
        complaints = db.session.scalars(select(Complaint).where(Complaint.id.in_(complaint_ids)).order_by(
            Complaint.year, Complaint.seq))
        for complaint in complaints:
            annul_complaint(complaint, reason="Demo data: registered twice by mistake.", by=by)
        return len(complaint_ids)

    return commit_with_retry(work), f"annulled as {by.username}"
