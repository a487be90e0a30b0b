"""URL rules whose URL builders are made when a URL is first built from them.

Werkzeug writes and compiles two Python functions per URL rule when the rule is added (to build
its URLs with and without extra query arguments): for the app's ≈ 140 rules, 0.1 s of CPU and
most of what `create_app` does besides importing. A worker builds URLs for a few dozen of them
(the menu, the page's own links); the others' builders were made for nothing. With this rule
class each builder is made the first time `url_for` needs it, then kept on the rule, so URLs
are exactly Werkzeug's. Set as the app's `url_rule_class` before any route is added.

It replaces `Rule._compile_builder`, a Werkzeug internal (pinned in requirements.txt);
tests/test_routing.py builds every rule's URLs both ways, so an upgrade that changes it fails
there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        make = super()._compile_builder
        name = "_build_unknown" if append_unknown else "_build"

        def build_first(rule: Rule, **values: Any) -> tuple[str, str]:
            built = make(append_unknown).__get__(rule, None)
            setattr(rule, name, built)  # the next URL uses it directly
            return built(**values)

        return build_first
