"""URL rules make their URL builders on first use (app/serving/routing.py): every URL comes
out exactly as Werkzeug's own rules build it."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import AnyConverter, Map, Rule

from app.serving.routing import LazyBuilderRule


def _value(converter: Any) -> Any:
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return 7 if "Int" in type(converter).__name__ else "2026-000123"


def _built(url_map: Map, rule: Rule, values: dict[str, Any]) -> str:
    adapter = url_map.bind("registry.example", "/")
    try:
        return adapter.build(rule.endpoint, values, method=sorted(rule.methods or {"GET"})[0], force_external=True)
    except Exception as error:  # noqa: BLE001 - the same failure both ways is the same answer
        return type(error).__name__


def test_every_rule_builds_the_urls_werkzeugs_own_rules_build(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert len(rules) > 100
    assert all(isinstance(rule, LazyBuilderRule) for rule in rules)
    eager = Map([Rule(rule.rule, **rule.get_empty_kwargs()) for rule in rules], converters=app.url_map.converters)
    lazy = Map([LazyBuilderRule(rule.rule, **rule.get_empty_kwargs()) for rule in rules],
               converters=app.url_map.converters)
    built = 0
    for rule in rules:
        values = {name: _value(converter) for name, converter in rule._converters.items()}
        for extra in ({}, {"page": 2, "q": "a b/ț"}):  # without and with query arguments
            for _ in range(2):  # the builder's first use makes it, the second uses it
                url = _built(lazy, rule, values | extra)
                assert url == _built(eager, rule, values | extra), rule.rule
            built += url.startswith("http://")
    assert built > 2 * 100


def test_a_rules_builder_is_made_once_on_first_use():
    url_map = Map([LazyBuilderRule("/complaints/<int:number>", endpoint="complaint")])
    rule = next(iter(url_map.iter_rules()))
    first = rule._build_unknown
    adapter = url_map.bind("registry.example", "/")

    assert adapter.build("complaint", {"number": 3, "q": "x"}) == "/complaints/3?q=x"
    assert rule._build_unknown is not first  # the made builder took the placeholder's place
    made = rule._build_unknown
    assert adapter.build("complaint", {"number": 4}) == "/complaints/4"
    assert rule._build_unknown is made
