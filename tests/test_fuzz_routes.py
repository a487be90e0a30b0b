"""Hostile values in every route: no answer is ever a 5xx.

Built from the URL map, like tests/test_route_access.py: a new route is fuzzed without anyone
adding it, and `test_every_rule_is_fuzzed` fails for a rule that is neither fuzzed nor excluded
with a reason (`EXCLUDED`). Which parameters a view reads is found by asking it: the app's
request class records every name a view looks up in the query string or the form (WTForms
asks for each of its fields), so a field added to a form is fuzzed too.

Each rule gets every value (`VALUES`) in each of its path parameters, then:
- as the administrator (the most privileged role; the staff API with the administrator's
  token): in each query parameter the view reads, one at a time, so no other field's error
  hides the one under test; in the public complaint form and the JSON API, a valid complaint
  with one field hostile at a time; in the other POST forms, in all their fields at once (one
  field alone would fail their required fields just the same);
- anonymously: the public routes in all those parameters at once (the staff routes send an
  anonymous visitor to sign in before reading anything: they get the guard's values only);
- as a clerk and an officer, a sample: the staff routes they may use, the values views
  convert, in all their parameters at once.

Tests run with CSRF off (tests/_support.py), so forms reach their views and their validation;
`test_the_fuzz_reaches_the_views` checks that most answers are not the input guard's 400.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from test_route_access import ROUTES, STAFF, Records, make_records
from werkzeug.datastructures import MultiDict

from _support import form_data, valid_payload
from app.auth.models import User
from app.auth.tokens import create_token
from app.database import commit_with_retry
from app.extensions import db


@pytest.fixture
def records(app: Flask, client: FlaskClient, make_user) -> Records:
    """The access table's rows: a complaint, its attachment, letter and receipt print."""
    return make_records(app, client, make_user)


#: Rules not fuzzed, and why.
EXCLUDED = {
    "/static/<path:filename>": "files from disk: werkzeug's safe_join, no view code, no database",
    "/staff/logout": "ends the session the other requests need (it reads nothing: fuzzed anonymously only)",
}

#: The hostile values, as they travel in a URL or a form body (percent-encoded UTF-8 bytes;
#: %ED%A0%80 is a lone surrogate, U+D800) and in JSON.
VALUES: dict[str, tuple[str, Any]] = {
    "nul": ("a%00b", "a\x00b"),
    "surrogate": ("%ED%A0%80", "Ion \ud800 Popescu"),
    "space": ("%20", " "),
    "superscript-two": (quote("²"), "²"),
    "far-future-day": ("9999-12-31", "9999-12-31"),
    "day-one": ("0001-01-01", "0001-01-01"),
    "20-digit-integer": ("12345678901234567890", 12345678901234567890),
    "100-kB-text": ("x" * 100_000, "x" * 100_000),
}
DEEP_JSON = b"[" * 100_000
#: Refused by the input guard whichever field holds them: tried in all fields at once. The others
#: reach the views' validation, where one field's error would hide another's: one field at a time.
GUARDED = ("nul", "surrogate")
#: What the other roles' sample tries (the values views convert).
SAMPLE = ("space", "superscript-two", "far-future-day", "20-digit-integer")

#: Valid forms that one hostile field at a time is put into (other POST forms get every value
#: in all their fields at once).
BASELINES = {("POST", "/complaints/new"): form_data()}

#: The JSON routes and their fields.
JSON_FIELDS = {
    "/api/v1/complaints": list(valid_payload()),
    "/api/v1/staff/complaints/<path:reference>/responses": ["body"],
}


class _RecordingDict(MultiDict):
    """A MultiDict that notes every name looked up in it (query strings and forms)."""

    asked: set[str] | None = None

    def _note(self, key: Any) -> None:
        if _RecordingDict.asked is not None and isinstance(key, str):
            _RecordingDict.asked.add(key)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key: Any, type: Any = None) -> Any:  # noqa: A002
        self._note(key)
        return super().getlist(key, type)


@contextmanager
def _recording(app: Flask) -> Iterator[set[str]]:
    asked: set[str] = set()
    previous = app.request_class.parameter_storage_class
    app.request_class.parameter_storage_class = _RecordingDict
    _RecordingDict.asked = asked
    try:
        yield asked
    finally:
        _RecordingDict.asked = None
        app.request_class.parameter_storage_class = previous


@dataclass(frozen=True)
class Route:
    """One method of one rule of the URL map (a page with a form is fuzzed as GET and POST)."""

    url_rule: Any
    method: str

    @property
    def rule(self) -> str:
        return self.url_rule.rule

    @property
    def arguments(self) -> Any:
        return self.url_rule.arguments

    def build(self, *args: Any, **kwargs: Any) -> Any:
        return self.url_rule.build(*args, **kwargs)


def _routes(app: Flask, endpoint: str | None = None) -> list[Route]:
    rules = app.url_map.iter_rules(endpoint)
    return sorted(
        (Route(r, method) for r in rules if endpoint or r.rule not in EXCLUDED
         for method in ("GET", "POST") if method in r.methods),
        key=lambda route: (route.rule, route.method),
    )


def _method(route: Route) -> str:
    return route.method


def _base(rule: Any, records: Records, path: dict[str, str] | None = None) -> str:
    """The rule's URL with real records (or `path`'s raw, already encoded, values)."""
    values: dict[str, Any] = {name: records.values[name] for name in rule.arguments}
    markers = {name: str(987654321 + index) for index, name in enumerate(path or {})}
    try:  # digits pass every converter but any(...): put them where the raw values go
        url = rule.build(values | markers, append_unknown=False)[1]
    except Exception:  # noqa: BLE001  (an any(...) converter: its real value is a whole word in the URL)
        url, markers = rule.build(values, append_unknown=False)[1], {n: records.values[n] for n in path or {}}
    for name, raw in (path or {}).items():
        assert url.count(markers[name]) == 1, (url, name)
        url = url.replace(markers[name], raw)
    return url


def _public_query(rule: Any, records: Records) -> dict[str, str]:
    if rule.rule == "/track":
        return {"number": records.values["reference"], "code": records.code}
    if rule.rule == "/verify":
        return {"number": records.values["reference"], "fingerprint": "0000000000000000"}
    if "reference" in rule.arguments and ROUTES.get(rule.rule) is not None and ROUTES[rule.rule].public:
        return {"code": records.code}
    return {}


def _encode(pairs: dict[str, str]) -> str:
    """A query string or form body from already percent-encoded values."""
    return "&".join(f"{quote(name)}={value}" for name, value in pairs.items())


class Fuzzer:
    def __init__(self, app: Flask, client: FlaskClient, records: Records, bearer: dict[str, str]) -> None:
        self.app, self.client, self.records, self.bearer = app, client, records, bearer
        self.failures: list[str] = []
        self.statuses: dict[str, list[int]] = {}

    def send(self, rule: Any, what: str, url: str, *, body: bytes | None = None,
             content_type: str = "application/x-www-form-urlencoded") -> int:
        method = _method(rule)
        headers = self.bearer if rule.rule.startswith("/api/v1/staff/") else {}
        try:
            if method == "GET":
                response = self.client.get(url, headers=headers)
            else:
                response = self.client.post(url, data=body or b"", content_type=content_type, headers=headers)
        except Exception as error:  # noqa: BLE001  (TESTING propagates a view's exception: that is the 500)
            self.failures.append(f"{method} {rule.rule} {what}: {type(error).__name__} (a 500)")
            return 500
        status = response.status_code
        response.close()
        if status >= 500:
            self.failures.append(f"{method} {rule.rule} {what}: HTTP {status}")
        self.statuses.setdefault(f"{method} {rule.rule}", []).append(status)
        return status

    def names_read(self, rule: Any) -> list[str]:
        """The query or form names the view looks up, asked once with nothing given."""
        query = _public_query(rule, self.records)
        with _recording(self.app) as asked:
            url = _base(rule, self.records) + ("?" + _encode(query) if query else "")
            # A form with any field in it (Flask-WTF reads an empty one as not submitted).
            self.send(rule, "(discovery)", url, body=b"_=1")
        return sorted((asked | set(query)) - {"_"})

    def path_values(self, rule: Any) -> None:
        query = _public_query(rule, self.records)
        for name in rule.arguments:
            for label, (raw, _value) in VALUES.items():
                url = _base(rule, self.records, {name: raw}) + ("?" + _encode(query) if query else "")
                self.send(rule, f"path {name}={label}", url, body=b"")

    def one_at_a_time(self, rule: Any, names: list[str]) -> None:
        query = _public_query(rule, self.records)
        if rule.rule in JSON_FIELDS:
            self.json_fields(rule, query)
            return
        baseline = BASELINES.get((_method(rule), rule.rule))
        if _method(rule) == "POST" and baseline is None:
            # Without a valid form to start from, any one field alone fails the form's required
            # fields just as all of them together do: every value in all the fields at once.
            self.all_at_once(rule, names)
            return
        self.all_at_once(rule, names, GUARDED)
        for name in names:
            for label, (raw, _value) in VALUES.items():
                if label in GUARDED:
                    continue
                if _method(rule) == "GET":
                    url = _base(rule, self.records) + "?" + _encode(query | {name: raw})
                    self.send(rule, f"{name}={label}", url)
                else:
                    fields = {k: quote(str(v)) for k, v in (baseline or {}).items()} | {name: raw}
                    url = _base(rule, self.records) + ("?" + _encode(query) if query else "")
                    self.send(rule, f"form {name}={label}", url, body=_encode(fields).encode())

    def json_fields(self, rule: Any, query: dict[str, str]) -> None:
        url = _base(rule, self.records) + ("?" + _encode(query) if query else "")
        baseline = valid_payload() if rule.rule == "/api/v1/complaints" else {"body": "We refunded it."}
        for name in JSON_FIELDS[rule.rule]:
            for label, (_raw, value) in VALUES.items():
                body = json.dumps(baseline | {name: value}, ensure_ascii=True).encode()
                self.send(rule, f"json {name}={label}", url, body=body, content_type="application/json")
        self.send(rule, "deep JSON", url, body=DEEP_JSON, content_type="application/json")
        self.send(rule, "bad UTF-8", url, body=b'{"full_name": "\xff"}', content_type="application/json")

    def all_at_once(self, rule: Any, names: list[str], labels: tuple[str, ...] = tuple(VALUES)) -> None:
        query = _public_query(rule, self.records)
        for label in labels:
            raw = VALUES[label][0]
            given = {name: raw for name in names} | {k: v for k, v in query.items() if k not in names}
            if _method(rule) == "GET":
                self.send(rule, f"all={label}", _base(rule, self.records) + "?" + _encode(given))
            else:
                url = _base(rule, self.records) + ("?" + _encode(query) if query else "")
                self.send(rule, f"all form fields={label}", url, body=_encode(given).encode())


def _sign_in(app: Flask, client: FlaskClient, login, who: str) -> dict[str, str]:
    role, tier = STAFF[who]
    login(client, role.value, username=who, tier=tier)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == who))
        return {"Authorization": f"Bearer {commit_with_retry(lambda: create_token(user, 'fuzz').secret)}"}


def test_every_rule_is_fuzzed(app: Flask):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert EXCLUDED.keys() <= rules, f"exclusions for rules that do not exist: {sorted(EXCLUDED.keys() - rules)}"
    fuzzed = {route.rule for route in _routes(app)}
    assert fuzzed | EXCLUDED.keys() == rules


def test_no_hostile_value_gets_a_5xx_from_any_route_as_the_administrator(
    app: Flask, client: FlaskClient, login, records: Records
):
    assert not app.config["WTF_CSRF_ENABLED"], "with CSRF on, every POST would stop at the token"
    fuzzer = Fuzzer(app, client, records, _sign_in(app, client, login, "admin"))
    for route in _routes(app):
        names = fuzzer.names_read(route)
        fuzzer.path_values(route)
        fuzzer.one_at_a_time(route, names)
    assert fuzzer.failures == [], "\n".join(fuzzer.failures)
    # Not vacuous: most routes answered most values past the input guard (not its 400).
    reached = [rule for rule, statuses in fuzzer.statuses.items() if any(s != 400 for s in statuses)]
    assert len(reached) >= 0.8 * len(fuzzer.statuses), sorted(set(fuzzer.statuses) - set(reached))


def test_no_hostile_value_gets_a_5xx_from_any_route_anonymously(app: Flask, client: FlaskClient, records: Records):
    fuzzer = Fuzzer(app, client, records, {})
    for route in [*_routes(app), *_routes(app, "auth.logout")]:
        names = fuzzer.names_read(route)
        if ROUTES[route.rule].public:
            fuzzer.path_values(route)
            fuzzer.all_at_once(route, names)
        else:  # sent to sign in before the view reads anything: only the guard's values
            fuzzer.all_at_once(route, names, GUARDED)
    assert fuzzer.failures == [], "\n".join(fuzzer.failures)


@pytest.mark.parametrize("who", ["clerk", "officer"])
def test_no_hostile_value_gets_a_5xx_from_a_staff_route_as_another_role(
    app: Flask, client: FlaskClient, login, records: Records, who: str
):
    """A sample: the staff routes the role may use, the values views convert, in all their
    parameters at once."""
    fuzzer = Fuzzer(app, client, records, _sign_in(app, client, login, who))
    role = STAFF[who][0]
    for route in _routes(app):
        access = ROUTES.get(route.rule)
        if access is not None and not access.public and access.allows(role):
            fuzzer.all_at_once(route, fuzzer.names_read(route), SAMPLE)
    assert fuzzer.failures == [], "\n".join(fuzzer.failures)
