"""The API keeps its contract: /api/v1/openapi.json describes exactly the /api/v1 routes, and
schemathesis calls every operation in-process (WSGI) with generated valid and invalid input,
the staff ones with a valid token, checking that nothing crashes and that every answer (status,
content type, headers, body) is one the document promises.

Bounded: a fixed number of examples per operation, no Hypothesis deadline, derandomised, so a
run takes seconds and fails the same way twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from _cases import T0, act
from app.api.staff import API_ACTIONS
from app.auth.tokens import create_token
from app.clock import frozen_clock
from app.extensions import db
from app.workflow import operations as ops

#: When the generated requests are made: an hour after the scene's complaints were taken.
NOW = T0 + timedelta(hours=2)
EXAMPLES = 30


#: A payload the schema allows can still be refused on rules JSON Schema cannot say (the
#: signature must match the name, the phone number must exist, the owner alone may respond),
#: so valid-by-schema input is not required to be accepted; everything else is checked.
EXCLUDED = [positive_data_acceptance]
#: Unknown query parameters are ignored (as on any web page: a cache-buster does no harm), so
#: adding one is not treated as invalid input that must be refused.
CONFIG = schemathesis.Config.from_dict({"generation": {"allow-extra-parameters": False}})
#: Operations whose every input is a free string: there is no invalid request to make.
NOTHING_INVALID = {"GET /categories", "GET /complaints/{reference}", "GET /staff/complaints/{reference}"}
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@dataclass(frozen=True)
class Scene:
    token: str
    owned: str  # slug of a complaint the token's owner has taken (in progress)
    others: str  # taken by a colleague: the token's owner may not respond (403)
    unowned: str  # nobody has taken it: no response in its status (409)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def scene(app, register, make_user) -> Scene:
    officer = make_user("olga", "officer", tier=1, email="olga@example.md", full_name="Olga Officer")
    colleague = make_user("petru", "officer", tier=1, email="petru@example.md", full_name="Petru Officer")
    owned, others, unowned = register(), register(), register()
    act(app, owned, ops.take_complaint, by=officer)
    act(app, others, ops.take_complaint, by=colleague)
    with app.app_context():
        from app.auth.models import User

        secret = create_token(db.session.get(User, officer), "schemathesis").secret
        db.session.commit()
    return Scene(secret, *(number.replace("/", "-") for number in (owned, others, unowned)))


@pytest.fixture
def api_schema(app, scene):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)


def _route_to_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_the_document_describes_exactly_the_api_routes(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "/api/v1"}]
    described = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routed = {
        (_route_to_path(rule.rule), method)
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routed


def test_staff_operations_and_only_they_need_the_token(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for operation in item.values():
            expected = [{"staffToken": []}] if path.startswith("/staff/") else []
            assert operation["security"] == expected, path
            if expected:
                assert {"401", "403"} <= set(operation["responses"]), path


def _operations(api_schema) -> list:
    """Every operation of the document (an unreadable one fails here)."""
    return [result.ok() for result in api_schema.get_all_operations()]


def _fuzz(strategy, scene: Scene) -> None:
    @SETTINGS
    @given(case=strategy)
    def run(case):
        with frozen_clock(NOW):
            case.call_and_validate(headers=scene.headers, excluded_checks=EXCLUDED)

    run()


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_every_operation_keeps_the_contract(api_schema, scene, mode):
    """Each operation, with input generated from its schema (valid, or deliberately not), plus
    the document's own examples."""
    operations = _operations(api_schema)
    described = {f"{method.upper()} {path}" for path, item in api_schema.raw_schema["paths"].items() for method in item}
    # schemathesis leaves out the document's own location; the happy-path test below calls it
    assert {operation.label for operation in operations} == described - {"GET /openapi.json"}
    for operation in operations:
        if mode == GenerationMode.NEGATIVE and operation.label in NOTHING_INVALID:
            continue
        strategies = [operation.as_strategy(mode)]
        if mode == GenerationMode.POSITIVE:
            strategies += operation.get_strategies_from_examples()
        try:
            _fuzz(st.one_of(strategies), scene)
        except Exception as error:
            error.add_note(f"operation: {operation.label} ({mode.value} input)")
            raise


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_staff_operations_keep_the_contract_on_a_real_complaint(api_schema, scene, mode):
    """Generated input against complaints that exist (the fuzzing above mostly finds none):
    the owner's own complaint, a colleague's (refused, 403) and one nobody has taken (409)."""
    operations = [api_schema["/staff/complaints/{reference}"]["GET"],
                  api_schema["/staff/complaints/{reference}/responses"]["POST"],
                  *(api_schema[f"/staff/complaints/{{reference}}/{name.replace('_', '-')}"]["POST"]
                    for name in API_ACTIONS),
                  api_schema["/staff/complaints/{reference}/attachments/{attachment_id}"]["GET"]]
    strategies = [
        operation.as_strategy(mode, path_parameters={"reference": reference})
        for operation in operations for reference in (scene.owned, scene.others, scene.unowned)
    ]

    _fuzz(st.one_of(strategies), scene)


def test_the_happy_paths_answer_as_documented(api_schema, scene, client):
    """Each successful answer, validated against its schema: a registration, the public view,
    the queue, the staff view and a response."""
    from _support import valid_payload

    def call(path: str, method: str, **parts):
        operation = api_schema[path][method]
        case = operation.Case(**parts)
        with frozen_clock(NOW):
            return case.call_and_validate(headers=scene.headers, excluded_checks=EXCLUDED)

    registration = call("/complaints", "POST", body=valid_payload(), headers={"Idempotency-Key": "k-1"})
    assert registration.status_code == 201
    body = registration.json()
    slug = body["number"].replace("/", "-")
    assert call("/complaints/{reference}", "GET", path_parameters={"reference": slug},
                query={"code": body["access_code"]}).status_code == 200
    assert call("/categories", "GET", query={"language": "ro"}).status_code == 200
    page = call("/staff/complaints", "GET", query={"show": "all", "limit": 1})
    assert page.status_code == 200 and page.json()["next_url"]
    assert call("/staff/complaints/{reference}", "GET", path_parameters={"reference": scene.owned}).status_code == 200
    sent = call("/staff/complaints/{reference}/responses", "POST", path_parameters={"reference": scene.owned},
                body={"body": "Your withdrawal was paid today; we apologise for the delay."})
    assert sent.status_code == 201
    assert sent.json()["complaint"]["status"] == "responded"
    for reference, status in ((scene.others, 403), (scene.unowned, 409)):
        refused = call("/staff/complaints/{reference}/responses", "POST", path_parameters={"reference": reference},
                       body={"body": "Not mine to answer."})
        assert refused.status_code == status
    decided = call("/staff/complaints/{reference}/resolve", "POST", path_parameters={"reference": scene.owned},
                   body={"resolution": "upheld", "reasons": "The withdrawal was late; the fee is refunded.",
                         "redress_amount": "25.00", "redress_currency": "MDL"})
    assert decided.status_code == 200 and decided.json()["complaint"]["status"] == "resolved"
    assert call("/staff/complaints/{reference}/close", "POST",
                path_parameters={"reference": scene.owned}).status_code == 200
    taken = call("/staff/complaints/{reference}/take", "POST", path_parameters={"reference": scene.unowned}, body={})
    assert taken.status_code == 200 and taken.json()["complaint"]["status"] == "in_progress"
    assert call("/openapi.json", "GET").json()["paths"]


def test_a_method_the_document_does_not_list_is_a_405_naming_the_allowed_ones(client):
    """Found by checking schemathesis' `unsupported_method` rule by hand: the app's JSON error
    handler dropped the 405's Allow header (RFC 9110 15.5.6: the server MUST send it)."""
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        url = "/api/v1" + path.replace("{reference}", "2026-000001")
        response = client.open(url, method="PATCH")
        assert response.status_code == 405, path
        assert response.get_json()["error"] == "Method Not Allowed"
        allowed = {m.strip() for m in response.headers["Allow"].split(",")} - {"HEAD", "OPTIONS"}
        # ⊇, not ==: a GET of .../2026-000001/responses is routed too (a `path:` number), and is a 404
        assert allowed >= {method.upper() for method in item}, path


# schemathesis' three deviations of issue 14, each checked with every check (none excluded) ------


def test_options_names_exactly_the_documented_methods(client, scene):
    """schemathesis' `allow_header_conformance`: `OPTIONS .../responses` said `Allow: GET, POST`
    because the complaint's GET (a `path:` number) matched `.../responses` too."""
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        url = "/api/v1" + path.replace("{reference}", scene.owned)
        response = client.open(url, method="OPTIONS", headers=scene.headers)
        allowed = {m.strip() for m in response.headers["Allow"].split(",")} - {"HEAD", "OPTIONS"}
        assert allowed == {method.upper() for method in item}, path
    assert client.get(f"/api/v1/staff/complaints/{scene.owned}/responses", headers=scene.headers).status_code == 405


@pytest.mark.parametrize("query", [{"after": ""}, {"before": ""}, {"after": "", "before": ""},
                                   {"after": "", "show": "all", "limit": 1}])
def test_empty_cursors_are_no_cursor(api_schema, scene, query):
    """A schema-valid empty `after=`/`before=` was refused (422); it is now the first page."""
    case = api_schema["/staff/complaints"]["GET"].Case(query=query)
    with frozen_clock(NOW):
        response = case.call_and_validate(headers=scene.headers)
    assert response.status_code == 200


def test_a_reused_idempotency_key_answers_the_documented_409(api_schema, scene):
    """The document promised 422 for a key reused with other content, and schemathesis counts a
    422 to a schema-valid request as a refusal of valid input: it is a conflict, 409, now."""
    from _support import valid_payload

    operation = api_schema["/complaints"]["POST"]
    with frozen_clock(NOW):
        first = operation.Case(body=valid_payload(), headers={"Idempotency-Key": "reused"}).call_and_validate()
        again = operation.Case(body=valid_payload(), headers={"Idempotency-Key": "reused"}).call_and_validate()
        other = operation.Case(body=valid_payload(subject="Another complaint entirely"),
                               headers={"Idempotency-Key": "reused"}).call_and_validate()
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 409)
    assert list(other.json()["errors"]) == ["Idempotency-Key"]
