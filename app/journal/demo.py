"""The demo registry: `flask registry seed-demo` tells a story of some 300 complaints over the
last 90 days, made by the real operations, so that a first run looks like a registry in use.

Every complaint is registered through `register_complaint` (web form, API, and at the desk by
the demo clerk: paper, post, phone, in person, e-mail), in the four languages (people and texts
from seed.py), and then lives one of the lives below: taken, answered, asked for information
and answered by the complainant, followed up, transferred, escalated, decided (upheld, partly,
rejected), disputed and reopened, sent back down by management, reviewed on the escalation desk,
closed and rated by the complainant; a few registered twice at the desk and the copy annulled, a
few sent again by the complainant and joined to the first, a few linked to a related one. The
demo manager keeps answer templates in the four languages (one revised halfway), and officers
start some of their first answers from them. The demo accounts (`flask users demo`) act, in working hours,
with delays drawn at random; some first answers come late, and the deadline enforcement
(`app.workflow.enforcement`) runs at every hour the story passes, so breaches and escalations
happen as they would. The newest complaints are caught at every stage: just registered, taken,
waiting for the complainant, answered, decided, disputed.

Each complaint's life is a generator: it does one step (as the clock, `frozen_clock`, stands at
that step's moment) and yields how long until the next. The story keeps every life's next step
on one timeline and runs them in time order, so the registry's entries only move forward in
time. It all happens in one unit of work: a registry gets the whole story or none of it, and
the deadline watcher of `make run` cannot act between its steps. The e-mails the story queues
are marked as not sent (demonstration data), and the registry is marked as a demo one
(app/registry/demo.py): every page then says so.
"""

from __future__ import annotations

import heapq
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from msgspec import Struct, field
from sqlalchemy import func, select, update

from ..answers.models import AnswerTemplate, AnswerTemplateUse
from ..answers.operations import (
    create_template,
    fill_for,
    offered_versions,
    record_use,
    revise_template,
    texts_of,
)
from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.cli import demo_accounts
from ..auth.models import User
from ..clock import frozen_clock, local_day_start, now_utc
from ..complaints.models import Channel, Complaint, ComplaintStatus, Resolution
from ..database import commit_with_retry
from ..desk.operations import annul_complaint, correct_complaint, record_receipt_print
from ..desk.tray import letters_to_post
from ..extensions import db
from ..intake.operations import register_complaint
from ..intake.validation import rules_from_config, validate_complaint
from ..notifications.models import DeliveryStatus, Notification
from ..registry.demo import DemoDataRefused, count_demo_complaints, demo_data_allowed
from ..registry.models import RegistryEntry
from ..settings.store import current_policy
from ..workflow import joins, rules
from ..workflow import operations as ops
from ..workflow.enforcement import enforce
from ..workflow.models import (
    Breach,
    CaseMessage,
    ComplaintJoin,
    ComplaintLink,
    Escalation,
    EscalationReview,
    ReviewDecision,
)
from ..workflow.verdict import rate_handling, verdict_of
from ..workflow.verdict_models import Rating
from .demo_texts import ADDRESSES, COMPLAINANT, LETTERS, RATINGS, REPEAT, STAFF, TEMPLATE_REVISION, TEMPLATES
from .seed import RegistryNotEmpty, _Maker, registry_is_empty

log = logging.getLogger(__name__)

#: The story's size by default: complaints, over this many days up to now.
STORY_COMPLAINTS = 300
STORY_DAYS = 90

#: How the complaints arrive (every channel at least once).
_CHANNEL_WEIGHTS = {
    Channel.WEB: 45, Channel.API: 8, Channel.EMAIL: 12, Channel.PHONE: 12, Channel.PAPER: 9, Channel.POST: 8,
    Channel.IN_PERSON: 6,
}
#: Channels the demo clerk registers at the desk (the others register themselves).
_DESK = (Channel.PAPER, Channel.POST, Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL)
#: Prefixes of Moldovan mobile numbers.
_MOBILE = ("60", "67", "68", "69", "78", "79")
#: Complainants who came with paper: the clerk prints their receipt there and then.
_PRINTED = (Channel.PAPER, Channel.POST, Channel.IN_PERSON)

#: The lives a complaint may live (see `_Story`'s methods of the same name), and their shares;
#: each with at least one complaint when there are enough. "simple" takes the rest.
_FATES = {
    "direct": 0.08, "information": 0.12, "silent": 0.03, "follow_up": 0.05, "transfer": 0.07, "escalate": 0.05,
    "late": 0.05, "dispute": 0.08, "dispute_closed": 0.03, "reopen": 0.02, "management": 0.04, "duplicate": 0.02,
    "repeat": 0.01, "related": 0.015,
}
#: Lives about a step that comes days after registration (a breach, an escalation, a dispute, a
#: repeat), or about one the staff take in working hours that the story must reach (a link: the
#: one "related" complaint, arriving on a Friday evening, was not linked by a Saturday's "now").
_EVENTFUL = frozenset({"duplicate", "late", "escalate", "management", "dispute", "dispute_closed", "reopen",
                       "repeat", "related"})
#: The newest complaints, caught at each stage: (life, registered this long before now).
_TAIL = (("now registered", 0.4), ("now in progress", 5), ("now responded", 20), ("now waiting", 30),
         ("now at management", 45), ("now resolved", 50), ("now reopened", 70))
#: The share of complaints from someone who complained before.
_AGAIN = 0.06
#: The share of first answers an officer starts from a template that fits (TEMPLATES).
_FROM_TEMPLATE = 0.6
#: The share of complainants who rate the handling once their complaint is closed, and how
#: the scores fall by decision (weights of 1 to 5).
_RATE = 0.4
_SCORES = {Resolution.UPHELD: (3, 5, 12, 35, 45), Resolution.PARTLY_UPHELD: (8, 12, 30, 35, 15),
           Resolution.REJECTED: (30, 28, 25, 12, 5)}
#: How many escalated complaints management reviews on the escalation desk (the first taken
#: over, the next kept with its owner with an instruction).
_REVIEWS = 2

#: Working hours (local time): the staff's on weekdays and at weekends, the public's every day.
_STAFF_HOURS = ((8.5, 18.5), (10, 15))
_PUBLIC_HOURS = (7.5, 23)


class StoryReport(Struct):
    complaints: int = 0
    days: int = 0
    entries: int = 0
    letters: int = 0
    breaches: int = 0
    escalations: int = 0
    templates: int = 0
    template_letters: int = 0
    ratings: int = 0
    joins: int = 0
    links: int = 0
    reviews: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    channels: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)


class _Wait(Struct, frozen=True):
    """Until a life's next step: at least `hours`, then the next moment `who` is about."""

    hours: float
    who: str  # "staff" (working hours), "public" (waking hours) or "any"


class _Case(Struct):
    """One complaint of the story: how it comes, the life it lives, and (once registered) its id."""

    fate: str
    channel: Channel
    arrives: datetime
    values: dict
    complaint_id: int | None = None


class _Due(Struct, order=True):
    at: datetime
    order: int  # unique: two waits never compare their lives
    life: Iterator[_Wait]


def tell_demo_story(
    complaints: int = STORY_COMPLAINTS, *, days: int = STORY_DAYS, random_seed: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> StoryReport:
    """Fill an empty registry with `complaints` demo complaints handled over the last `days`
    days (see the module's docstring); one unit of work."""
    if not demo_data_allowed():
        raise DemoDataRefused
    if not registry_is_empty():
        raise RegistryNotEmpty(
            "The registry is not empty. The demo goes only into an empty registry: its numbers and signed "
            "entries would stay in the record for good."
        )
    if progress:
        progress(f"Telling the demo story: {complaints} complaints over {days} days, handled by the demo accounts "
                 "in one transaction ...")
    started = time.perf_counter()
    # A retried unit of work tells the same story again from the start.
    seed = random_seed if random_seed is not None else random.SystemRandom().randrange(2**32)
    report = commit_with_retry(lambda: _Story(complaints, days, random.Random(seed), progress).tell())  # noqa: S311
    report.seconds = time.perf_counter() - started
    log.info("told the demo story: %d complaints in %.1f s", report.complaints, report.seconds)
    return report


class _Story:
    def __init__(self, complaints: int, days: int, rng: random.Random, progress: Callable[[str], None] | None):
        self.rng = rng
        self.progress = progress or (lambda line: None)
        self.zone = ZoneInfo(current_app.config["REGISTRY_TIMEZONE"])
        self.end = now_utc()
        first = (self.end - timedelta(days=days)).astimezone(self.zone).date()
        # From a Monday: the weekly figures start with a whole week.
        self.start = local_day_start(first - timedelta(days=first.weekday()), self.zone.key)
        self.days = days
        self.timeline: list[_Due] = []
        self.order = 0
        self.enforced = self.start
        self.registered = 0
        self.asked: dict[int, int] = {}  # complaint id -> which information was asked for
        with frozen_clock(self.start):  # the staff were there before the first complaint
            self.staff = demo_accounts()
            self.maker = _Maker(rng)
            self.intake_rules = rules_from_config(current_app.config)
        self.clerk, self.officer = self.staff["clerk"], self.staff["officer"]
        self.specialist, self.manager = self.staff["specialist"], self.staff["manager"]
        with frozen_clock(self.start):  # and so were the answer templates
            self.templates = [create_template(category=category, texts=texts, by=self.manager)
                              for category, texts in TEMPLATES]
        self.reviews = 0
        self.cases = self._cast(complaints)

    # --- the cast -------------------------------------------------------------------------

    def _cast(self, count: int) -> list[_Case]:
        """The complaints: the newest at each stage, the others spread over the period, each
        with its life and channel dealt from a shuffled deck (so every one occurs)."""
        tail = _TAIL[:max(0, count - 1)] if count < 20 else _TAIL
        rest = count - len(tail)
        fates = [fate for fate, share in _FATES.items() for _ in range(max(1, round(share * rest)))][:rest]
        fates += ["simple"] * (rest - len(fates))
        self.rng.shuffle(fates)
        channels = list(_CHANNEL_WEIGHTS)[:rest]
        channels += self.rng.choices(list(_CHANNEL_WEIGHTS), list(_CHANNEL_WEIGHTS.values()), k=rest - len(channels))
        self.rng.shuffle(channels)
        dealt = [(self._arrival(channel, fate), fate, channel) for fate, channel in zip(fates, channels, strict=True)]
        dealt += [(self.end - timedelta(hours=hours), fate, Channel.WEB) for fate, hours in tail]
        dealt.sort(key=lambda deal: deal[0])
        if len(dealt) > 1 and dealt[0][1] == "related" and dealt[1][1] not in _TAIL_LIVES:
            # A related complaint is linked to an earlier one: the first of all has none, so it
            # trades lives with the second (the story otherwise hung on the hour it was told).
            (first, _, first_channel), (second, fate, second_channel) = dealt[0], dealt[1]
            dealt[0], dealt[1] = (first, fate, first_channel), (second, "related", second_channel)
        cases: list[_Case] = []
        for arrives, fate, channel in dealt:
            # Some people complain again (the analysis finds them by e-mail or phone).
            again = cases and fate not in _TAIL_LIVES and self.rng.random() < _AGAIN
            cases.append(self._case(fate, channel, arrives, self.rng.choice(cases).values if again else None))
        return cases

    def _arrival(self, channel: Channel, fate: str) -> datetime:
        """When a complaint arrives: by day more than by night; at the desk in its hours; days
        before now if its life is about something that takes days to happen."""
        latest = self.end - timedelta(hours=72 if fate in _EVENTFUL else 6)
        while True:
            moment = self.start + (latest - self.start) * self.rng.random()
            if channel in _DESK:
                moment = self._next_open(moment, "desk")
            elif 0 <= moment.astimezone(self.zone).hour < 7 and self.rng.random() < 0.8:
                continue
            if moment < latest:
                return moment

    def _case(self, fate: str, channel: Channel, arrives: datetime, person: dict | None = None) -> _Case:
        """A complaint: its words from seed.py's maker; its author new, or `person` again."""
        if fate == "duplicate":
            channel = self.rng.choice((Channel.PAPER, Channel.POST))
        values = self.maker.values(arrives)
        while person is not None and values["language"] != person["language"]:
            values = self.maker.values(arrives)
        if values["phone"]:  # a mobile number of a Moldovan network (the bulk loader's need not be valid)
            values["phone"] = f"+373{self.rng.choice(_MOBILE)}{self.rng.randrange(10**6):06d}"
        if person is not None:
            values |= {name: person[name] for name in ("full_name", "email", "phone", "postal_address")}
        if channel in (Channel.PAPER, Channel.POST):
            values["postal_address"] = values["postal_address"] or self.rng.choice(ADDRESSES)
            values["email"] = values["email"] if self.rng.random() < 0.3 else None
        elif channel == Channel.PHONE:
            values["phone"] = values["phone"] or f"+373{self.rng.choice(_MOBILE)}{self.rng.randrange(10**6):06d}"
            values["email"] = values["email"] if self.rng.random() < 0.5 else None
            if not values["email"]:
                values["postal_address"] = values["postal_address"] or self.rng.choice(ADDRESSES)
        elif values["email"] is None and channel in (Channel.EMAIL, Channel.WEB, Channel.API):
            values["email"] = f"client{self.rng.randrange(1000, 10_000)}@example.net"
        if not values["email"] and not values["phone"]:  # the intake asks for one or the other
            values["phone"] = f"+373{self.rng.choice(_MOBILE)}{self.rng.randrange(10**6):06d}"
        return _Case(fate, channel, arrives, values)

    # --- the timeline ---------------------------------------------------------------------

    def tell(self) -> StoryReport:
        for case in self.cases:
            self._schedule(case.arrives, self._life(case))
        self._schedule(self._next_open(self.start, "desk"), self._desk_rounds())
        self._schedule(self._next_open(self.start + (self.end - self.start) / 2, "staff"), self._revise_template())
        milestone = self.start
        while self.timeline and self.timeline[0].at <= self.end:
            due = heapq.heappop(self.timeline)
            self._enforce_until(due.at)
            with frozen_clock(due.at):
                wait = next(due.life, None)
            if wait is not None:
                self._schedule(self._after(due.at, wait), due.life)
            if due.at >= milestone + timedelta(days=10):
                milestone = due.at
                self.progress(f"  {due.at.astimezone(self.zone):%Y-%m-%d}  {self.registered:>4} complaints registered")
        self._enforce_until(self.end)
        return self._finish()

    def _schedule(self, at: datetime, life: Iterator[_Wait]) -> None:
        self.order += 1
        heapq.heappush(self.timeline, _Due(at, self.order, life))

    def _after(self, moment: datetime, wait: _Wait) -> datetime:
        later = moment + timedelta(hours=wait.hours)
        return later if wait.who == "any" else self._next_open(later, wait.who)

    def _next_open(self, moment: datetime, who: str) -> datetime:
        """`moment`, or when `who` is next about: a little after their day starts."""
        local = moment.astimezone(self.zone)
        for days in range(8):
            day = local.date() + timedelta(days=days)
            opens, closes = self._hours(day, who)
            if opens == closes:  # closed that day
                continue
            if days == 0 and opens <= local < closes:
                return moment
            if local < opens:
                return opens + timedelta(minutes=self.rng.uniform(0, 50))
        raise AssertionError("no working hours in a week")

    def _hours(self, day: date, who: str) -> tuple[datetime, datetime]:
        weekend = day.weekday() >= 5
        if who == "public":
            start, end = _PUBLIC_HOURS
        elif who == "desk" and weekend:  # the front desk is closed at weekends
            start, end = 0, 0
        else:
            start, end = _STAFF_HOURS[weekend]
        midnight = local_day_start(day, self.zone.key)
        return midnight + timedelta(hours=start), midnight + timedelta(hours=end)

    def _enforce_until(self, moment: datetime) -> None:
        """Run the deadline enforcement at every hour from the last run up to `moment`, as
        the watcher would have."""
        hour = self.enforced.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        db.session.flush()
        changed = False
        while hour <= moment:
            with frozen_clock(hour):
                changed |= bool(enforce(hour, current_policy(), in_unit_of_work=True).steps)
            hour += timedelta(hours=1)
        self.enforced = max(self.enforced, moment)
        if changed:
            db.session.expire_all()  # the sweep wrote the rows directly: read them again

    # --- waits ----------------------------------------------------------------------------

    def staff_wait(self, low: float, high: float) -> _Wait:
        return _Wait(self.rng.uniform(low, high), "staff")

    def public_wait(self, low: float, high: float) -> _Wait:
        return _Wait(self.rng.uniform(low, high), "public")

    # --- one complaint's life -------------------------------------------------------------

    def _life(self, case: _Case) -> Iterator[_Wait]:
        complaint = self._register(case)
        if case.fate in _TAIL_LIVES:
            yield from _TAIL_LIVES[case.fate](self, complaint)
            return
        # Beside the handling, the desk's work on the record.
        if case.fate == "duplicate":
            self._beside(_Wait(self.rng.uniform(0.2, 0.7), "any"), self._twin(case, complaint))
        if case.fate == "repeat":
            self._beside(self.public_wait(20, 60), self._repeat(case, complaint))
        if case.channel in _DESK and complaint.postal_address and self.rng.random() < 0.06:
            self._beside(self.staff_wait(1, 30), self._correction(complaint))
        if case.channel in _PRINTED and self.rng.random() < 0.05:
            self._beside(self.staff_wait(24, 200), self._reprint(complaint))
        late = case.fate == "late"
        yield self.staff_wait(26, 34) if late else self.staff_wait(0.2, 3)
        if late and self.rng.random() < 0.4 and complaint.tier > 1:
            ops.assign_owner(complaint, to=self.specialist, note=self._staff_text("assign"), by=self.manager)
        self._acting(complaint)  # takes it
        if self.rng.random() < 0.15:
            yield self.staff_wait(0.5, 4)
            self._consult(complaint)
        yield from getattr(self, f"_{case.fate if case.fate not in ('duplicate', 'late', 'repeat') else 'simple'}")(
            complaint)

    def _beside(self, wait: _Wait, life: Iterator[_Wait]) -> None:
        """Start another line of steps about a complaint, `wait` from now."""
        self._schedule(self._after(now_utc(), wait), life)

    def _twin(self, case: _Case, original: Complaint) -> Iterator[_Wait]:
        """The desk registers the same letter again by mistake, and annuls the copy."""
        twin = self._register(case)
        yield self.staff_wait(1, 5)
        annul_complaint(twin, reason=self._staff_text("annul", number=original.number), by=self.clerk)

    def _repeat(self, case: _Case, original: Complaint) -> Iterator[_Wait]:
        """The complainant sends the same complaint again (on the web form, or by phone without
        e-mail); the officer joins the repeat to the first one, whose handling answers both."""
        values = case.values | {"description": REPEAT[case.values["language"]] + case.values["description"]}
        repeat = self._register(_Case("simple", Channel.WEB if values["email"] else Channel.PHONE, now_utc(), values))
        yield self.staff_wait(0.5, 8)
        joins.join_complaint(repeat, into=original, reason=self._staff_text("join", number=original.number),
                             by=self.officer)

    def _earlier_alike(self, complaint: Complaint) -> Complaint | None:
        """The latest earlier complaint about the same category (else any), not annulled."""
        return db.session.scalar(
            select(Complaint).where(Complaint.id != complaint.id, Complaint.registered_at < complaint.registered_at,
                                    Complaint.status != ComplaintStatus.ANNULLED)
            .order_by((Complaint.category == complaint.category).desc(), Complaint.registered_at.desc()).limit(1))

    def _revise_template(self) -> Iterator[_Wait]:
        """Halfway through, the manager adds a sentence to the first template: its version 2
        (the letters started from version 1 stay as they were sent)."""
        template = self.templates[0]
        texts = {code: (title, f"{body}\n\n{TEMPLATE_REVISION[code]}") for code, (title, body)
                 in texts_of(template.current).items()}
        revise_template(template, category=template.category, texts=texts, by=self.manager)
        yield from ()

    def _correction(self, complaint: Complaint) -> Iterator[_Wait]:
        address = f"{complaint.postal_address}, ap. {self.rng.randrange(2, 90)}"
        correct_complaint(complaint, changes={"postal_address": address}, reason=self._staff_text("correct"),
                          by=self.clerk)
        yield from ()

    def _reprint(self, complaint: Complaint) -> Iterator[_Wait]:
        """The complainant lost the receipt: the desk prints a DUPLICATE."""
        record_receipt_print(complaint, language=complaint.language, by=self.clerk)
        yield from ()

    def _register(self, case: _Case) -> Complaint:
        """Register the complaint as its channel does: by itself (web form, API) or by the demo
        clerk at the desk, who prints the receipt for a complainant with paper in hand."""
        values = case.values
        data = {name: values[name] for name in ("full_name", "email", "phone", "postal_address", "category",
                                                "subject", "description", "desired_outcome", "language")}
        submission, errors = validate_complaint(
            {**data, "signature": values["full_name"], "declaration": True}, self.intake_rules)
        if submission is None:
            raise ValueError(f"a demo complaint does not pass the intake rules: {errors}")
        desk = case.channel in _DESK
        received_at = None
        if case.channel == Channel.POST:  # the letter came in yesterday's post
            day = now_utc().astimezone(self.zone).date() - timedelta(days=self.rng.choice((1, 1, 2, 3)))
            received_at = local_day_start(day, self.zone.key)
        complaint = register_complaint(submission, channel=case.channel, received_at=received_at,
                                       registered_by=self.clerk if desk else None).complaint
        if desk:
            record(AuditAction.REGISTRATION, target=complaint.number, details={"channel": case.channel.value},
                   user=self.clerk)
        if case.channel in _PRINTED or (case.channel == Channel.PHONE and not complaint.email):
            record_receipt_print(complaint, language=complaint.language, by=self.clerk)
        case.complaint_id = case.complaint_id or complaint.id
        self.registered += 1
        return complaint

    def _handler(self, tier: int) -> User:
        """Who works at a tier: the officer, the specialist, management above."""
        return {1: self.officer, 2: self.specialist}.get(tier, self.manager)

    def _acting(self, complaint: Complaint) -> User:
        """Who answers for the organisation now: the owner; or, while nobody owns the complaint
        or once it rose above its owner's tier, the handler of its tier, who takes it (over)."""
        db.session.refresh(complaint)
        handler = self._handler(complaint.tier)
        owner = complaint.owner
        if owner is None or ((owner.tier or 0) < complaint.tier and rules.can_take(handler, complaint)):
            ops.take_complaint(complaint, by=handler)
            return handler
        return owner

    # The steps, each by whoever acts at that moment.

    def _letter(self, complaint: Complaint, kind: str) -> str:
        return self.rng.choice(LETTERS[kind][complaint.language]).format(name=complaint.full_name)

    def _staff_text(self, kind: str, **fill: str) -> str:
        return self.rng.choice(STAFF[kind]).format(**fill)

    def _respond(self, complaint: Complaint, kind: str = "response") -> None:
        """A letter from LETTERS; or a first answer started from a template that fits the
        complaint (as the case page does: filled in, sent, its use recorded)."""
        by = self._acting(complaint)
        template = self._template_for(complaint) if kind == "response" else None
        if template is None:
            ops.respond(complaint, body=self._letter(complaint, kind), by=by)
            return
        filled = fill_for(complaint, template.current.id, officer=by, zone=self.zone.key)
        record_use(filled.version.id, ops.respond(complaint, body=filled.text, by=by), by=by)

    def _template_for(self, complaint: Complaint) -> AnswerTemplate | None:
        """Now and then, the template of the complaint's category (self-exclusion answers the
        complaints about advertising), if one is offered for it."""
        fits = [t for t in self.templates if t.category == complaint.category
                or (t.category is None and complaint.category == "other")]
        if not fits or self.rng.random() >= _FROM_TEMPLATE:
            return None
        offered = {version.id for version in offered_versions(complaint)}
        return next((t for t in fits if t.current.id in offered), None)

    def _ask(self, complaint: Complaint) -> None:
        """Ask for one of the things the complainant may send (their reply answers the same)."""
        asked = self.asked[complaint.id] = self.rng.randrange(len(LETTERS["information_request"]["en"]))
        body = LETTERS["information_request"][complaint.language][asked].format(name=complaint.full_name)
        ops.request_information(complaint, body=body, by=self._acting(complaint))

    def _decide(self, complaint: Complaint, resolution: Resolution | None = None, kind: str | None = None, *,
                owner: bool = False) -> None:
        """Decide, by whoever acts now (or, with `owner`, by the owner as they are: kept by management)."""
        resolution = resolution or self.rng.choices(list(Resolution), (40, 25, 35))[0]
        if owner:
            db.session.refresh(complaint)
        by = complaint.owner if owner else self._acting(complaint)
        if complaint.status == ComplaintStatus.WAITING:
            ops.resume(complaint, by=by)
        ops.resolve(complaint, resolution=resolution, reasons=self._letter(complaint, kind or f"decision_{resolution.value}"),
                    by=by)

    def _close(self, complaint: Complaint) -> None:
        db.session.refresh(complaint)
        if complaint.status == ComplaintStatus.RESOLVED:
            ops.close(complaint, by=complaint.owner)

    def _consult(self, complaint: Complaint) -> None:
        by = self._acting(complaint)
        colleague = self.specialist if by.id != self.specialist.id else self.officer
        ops.add_consultation(complaint, note=self._staff_text("consult"), by=by, colleague=colleague)

    def _link(self, complaint: Complaint) -> None:
        """Link the complaint to the latest earlier one about the same (an incident both describe)."""
        other = self._earlier_alike(complaint)
        if other is not None:
            joins.link_complaints(complaint, to=other, note=self._staff_text("link"), by=self._acting(complaint))

    def _complainant_writes(self, complaint: Complaint, kind: str, *, dispute: bool = False,
                            ask_escalation: bool = False) -> None:
        """From the tracking page; or, from a complainant without e-mail, by post or phone,
        recorded at the desk."""
        variants = COMPLAINANT[kind][complaint.language]
        chosen = variants[self.asked[complaint.id]] if kind == "information" else self.rng.choice(variants)
        body = chosen.format(digits=f"{self.rng.randrange(10_000):04d}")
        received = None
        if not complaint.email:
            channel = self.rng.choice((Channel.POST, Channel.PHONE))
            recorder = self.clerk if channel == Channel.POST else self._acting(complaint)
            received = ops.Received(channel, now_utc().astimezone(self.zone).date(), recorder)
        ops.complainant_reply(complaint, body=body, dispute=dispute, ask_escalation=ask_escalation, received=received)

    def _complainant_moment(self, complaint: Complaint, low: float, high: float) -> _Wait:
        """A complainant without e-mail writes by post or phones: that is recorded in office hours."""
        return self.staff_wait(low, high) if not complaint.email else self.public_wait(low, high)

    # The lives (after registration and taking).

    def _simple(self, complaint: Complaint) -> Iterator[_Wait]:
        yield self.staff_wait(0.5, 6)
        self._respond(complaint)
        yield self.staff_wait(4, 30)
        yield from self._decide_and_close(complaint)

    def _decide_and_close(self, complaint: Complaint, resolution: Resolution | None = None,
                          kind: str | None = None, *, owner: bool = False) -> Iterator[_Wait]:
        self._decide(complaint, resolution, kind, owner=owner)
        yield self.staff_wait(24, 120)
        self._close(complaint)
        if complaint.status == ComplaintStatus.CLOSED and self.rng.random() < _RATE:
            self._beside(self.public_wait(2, 120), self._rate(complaint))

    def _rate(self, complaint: Complaint) -> Iterator[_Wait]:
        """The complainant rates the handling from the tracking page, if it is still closed and
        open to rating; the score leans with the decision."""
        db.session.refresh(complaint)
        if verdict_of(complaint).open:
            score = self.rng.choices(range(1, 6), _SCORES[complaint.resolution])[0]
            rate_handling(complaint, score=score, reason=self.rng.choice(RATINGS[score][complaint.language]))
        yield from ()

    def _direct(self, complaint: Complaint) -> Iterator[_Wait]:
        yield self.staff_wait(1, 7)
        yield from self._decide_and_close(complaint)

    def _information(self, complaint: Complaint) -> Iterator[_Wait]:
        yield self.staff_wait(0.5, 5)
        self._respond(complaint)
        yield self.staff_wait(0.5, 4)
        self._ask(complaint)
        yield self._complainant_moment(complaint, 4, 40)
        self._complainant_writes(complaint, "information")
        yield self.staff_wait(0.5, 5)
        self._respond(complaint, "response_after_reply")
        yield self.staff_wait(4, 20)
        yield from self._decide_and_close(complaint)

    def _silent(self, complaint: Complaint) -> Iterator[_Wait]:
        """Asked for information that never comes; rejected for want of it."""
        yield self.staff_wait(0.5, 5)
        self._respond(complaint)
        yield self.staff_wait(0.5, 4)
        self._ask(complaint)
        yield self.staff_wait(60, 100)
        yield from self._decide_and_close(complaint, Resolution.REJECTED, "decision_no_information")

    def _follow_up(self, complaint: Complaint) -> Iterator[_Wait]:
        yield self.staff_wait(0.5, 6)
        self._respond(complaint)
        yield self._complainant_moment(complaint, 3, 24)
        self._complainant_writes(complaint, "follow_up")
        yield self.staff_wait(0.5, 5)
        self._respond(complaint, "response_after_reply")
        yield self.staff_wait(4, 20)
        yield from self._decide_and_close(complaint)

    def _related(self, complaint: Complaint) -> Iterator[_Wait]:
        yield self.staff_wait(0.5, 4)
        self._link(complaint)
        yield from self._simple(complaint)

    def _transfer(self, complaint: Complaint) -> Iterator[_Wait]:
        yield self.staff_wait(0.5, 3)
        by = self._acting(complaint)
        if by.id != self.specialist.id:
            ops.transfer_complaint(complaint, to=self.specialist, reason=self._staff_text("transfer"), by=by)
        yield from self._simple(complaint)

    def _escalate(self, complaint: Complaint) -> Iterator[_Wait]:
        yield self.staff_wait(0.5, 5)
        self._respond(complaint)
        yield self.staff_wait(1, 8)
        by = self._acting(complaint)
        if complaint.tier < 2:
            ops.escalate(complaint, reason=self._staff_text("escalate"), by=by)
        yield self.staff_wait(0.5, 5)
        self._acting(complaint)  # the specialist takes it over
        yield self.staff_wait(6, 60)
        yield from self._decide_and_close(complaint)

    def _management(self, complaint: Complaint) -> Iterator[_Wait]:
        """Up to management, which decides, or sends it back down with an instruction."""
        yield self.staff_wait(0.5, 5)
        self._respond(complaint)
        yield self.staff_wait(1, 8)
        if complaint.tier < 2:
            ops.escalate(complaint, reason=self._staff_text("escalate"), by=self._acting(complaint))
        yield self.staff_wait(4, 30)
        if complaint.tier < 3:
            ops.escalate(complaint, reason=self._staff_text("escalate_to_management"), by=self._acting(complaint))
        yield self.staff_wait(2, 20)
        if self.reviews < _REVIEWS and complaint.owner_id not in (None, self.manager.id):
            yield from self._review(complaint)
            return
        self._acting(complaint)  # the manager takes it over
        yield self.staff_wait(4, 48)
        if self.rng.random() < 0.5:
            yield from self._decide_and_close(complaint, self.rng.choice((Resolution.UPHELD, Resolution.PARTLY_UPHELD)))
            return
        ops.send_back(complaint, to=self.officer, instruction=self._staff_text("send_back"), by=self.manager)
        yield self.staff_wait(2, 20)
        yield from self._decide_and_close(complaint, Resolution.PARTLY_UPHELD)

    def _review(self, complaint: Complaint) -> Iterator[_Wait]:
        """A review decision on the escalation desk: the first taken over by the manager, the next
        kept with its owner with an instruction, who then decides."""
        keep = self.reviews % 2 == 1
        self.reviews += 1
        ops.review_escalation(complaint, decision=ReviewDecision.KEEP if keep else ReviewDecision.TAKE_OVER,
                              instruction=self._staff_text("review_keep" if keep else "review_take_over"),
                              by=self.manager)
        yield self.staff_wait(4, 48)
        yield from self._decide_and_close(complaint, Resolution.PARTLY_UPHELD if keep else None, owner=keep)

    def _dispute(self, complaint: Complaint, *, after_close: bool = False) -> Iterator[_Wait]:
        yield self.staff_wait(0.5, 6)
        self._respond(complaint)
        yield self.staff_wait(4, 30)
        self._decide(complaint, self.rng.choice((Resolution.REJECTED, Resolution.PARTLY_UPHELD)))
        if after_close:
            yield self.staff_wait(24, 72)
            self._close(complaint)
        yield self._complainant_moment(complaint, 10, 120)
        self._complainant_writes(complaint, "dispute", dispute=True, ask_escalation=self.rng.random() < 0.4)
        yield self.staff_wait(2, 24)
        self._respond(complaint, "response_to_dispute")
        yield self.staff_wait(10, 60)
        yield from self._decide_and_close(complaint)

    def _dispute_closed(self, complaint: Complaint) -> Iterator[_Wait]:
        yield from self._dispute(complaint, after_close=True)

    def _reopen(self, complaint: Complaint) -> Iterator[_Wait]:
        """Closed, then reopened by management on new evidence, and decided again."""
        yield from self._direct(complaint)
        yield self.staff_wait(24, 120)
        db.session.refresh(complaint)
        if complaint.status == ComplaintStatus.CLOSED:
            ops.reopen(complaint, reason=self._staff_text("reopen"), by=self.manager)
            yield self.staff_wait(1, 24)
            by = self._acting(complaint)
            ops.resume(complaint, by=by)
            yield self.staff_wait(2, 30)
            yield from self._decide_and_close(complaint, Resolution.UPHELD)

    # The newest complaints, caught at each stage (their steps as quick as their age allows).

    def _tail_in_progress(self, complaint: Complaint) -> Iterator[_Wait]:
        yield _Wait(self.rng.uniform(0.5, 2), "any")
        self._acting(complaint)

    def _tail_responded(self, complaint: Complaint) -> Iterator[_Wait]:
        yield from self._tail_in_progress(complaint)
        yield _Wait(self.rng.uniform(1, 4), "any")
        self._respond(complaint)

    def _tail_waiting(self, complaint: Complaint) -> Iterator[_Wait]:
        yield from self._tail_responded(complaint)
        yield _Wait(self.rng.uniform(1, 3), "any")
        self._ask(complaint)

    def _tail_management(self, complaint: Complaint) -> Iterator[_Wait]:
        yield from self._tail_responded(complaint)
        yield _Wait(self.rng.uniform(1, 3), "any")
        ops.escalate(complaint, reason=self._staff_text("escalate"), by=self._acting(complaint))
        yield _Wait(self.rng.uniform(2, 6), "any")
        ops.escalate(complaint, reason=self._staff_text("escalate_to_management"), by=self._acting(complaint))

    def _tail_resolved(self, complaint: Complaint) -> Iterator[_Wait]:
        yield from self._tail_responded(complaint)
        yield _Wait(self.rng.uniform(10, 20), "any")
        self._decide(complaint)

    def _tail_reopened(self, complaint: Complaint) -> Iterator[_Wait]:
        yield from self._tail_resolved(complaint)
        yield _Wait(self.rng.uniform(10, 20), "any")
        self._complainant_writes(complaint, "dispute", dispute=True)

    # --- the desk's daily round -----------------------------------------------------------

    def _desk_rounds(self) -> Iterator[_Wait]:
        """Every working morning the clerk posts the letters written to complainants without
        e-mail before that day (today's wait in the tray)."""
        while True:
            today = local_day_start(now_utc().astimezone(self.zone).date(), self.zone.key)
            for message, _complaint in letters_to_post():
                if message.created_at < today:
                    ops.mark_letter_posted(message, by=self.clerk)
            yield _Wait(self.rng.uniform(20, 24), "desk")

    # --- the end --------------------------------------------------------------------------

    def _finish(self) -> StoryReport:
        """Mark the e-mails as not sent and the registry as a demo one; count what was made."""
        db.session.execute(
            update(Notification).where(Notification.status == DeliveryStatus.QUEUED)
            .values(status=DeliveryStatus.SKIPPED, last_error="demonstration data: not sent")
            .execution_options(synchronize_session=False))
        count = db.session.scalar(select(func.count()).select_from(Complaint))
        count_demo_complaints(count)
        db.session.flush()

        def total(model: type) -> int:
            return db.session.scalar(select(func.count()).select_from(model))

        report = StoryReport(
            complaints=count, days=self.days, entries=total(RegistryEntry), breaches=total(Breach),
            escalations=total(Escalation),
            letters=db.session.scalar(select(func.count()).where(CaseMessage.outgoing_number.is_not(None))),
            templates=total(AnswerTemplate), template_letters=total(AnswerTemplateUse), ratings=total(Rating),
            joins=total(ComplaintJoin), links=total(ComplaintLink), reviews=total(EscalationReview),
        )
        for status, channel, language, n in db.session.execute(
                select(Complaint.status, Complaint.channel, Complaint.language, func.count())
                .group_by(Complaint.status, Complaint.channel, Complaint.language)):
            report.statuses[status] += n
            report.channels[channel] += n
            report.languages[language] += n
        return report


_TAIL_LIVES: dict[str, Callable[[_Story, Complaint], Iterator[_Wait]]] = {
    "now registered": lambda story, complaint: iter(()),
    "now in progress": _Story._tail_in_progress,
    "now responded": _Story._tail_responded,
    "now waiting": _Story._tail_waiting,
    "now at management": _Story._tail_management,
    "now resolved": _Story._tail_resolved,
    "now reopened": _Story._tail_reopened,
}
