"""The package structure holds: no import cycle, and no module imports a higher layer except
where `DELIBERATE` says why (docs/architecture.md draws the layers)."""

from __future__ import annotations

from functools import cache

import grimp

#: Layers, highest first. A module belongs to the layer of its longest listed prefix and may
#: import its own layer and any lower one.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("app", "app.models"),  # the factory, and every table for it and the migrations
    ("app.api", "app.admin", "app.staff"),  # entry points over several features
    ("app.reports",),  # the monthly report reads the dashboard's figures
    ("app.manage", "app.journal", "app.queue", "app.desk", "app.mail", "app.mailin", "app.webhooks",
     "app.registry.cli", "app.registry.document_cli", "app.registry.routes", "app.registry.verify",
     "app.audit.verify", "app.audit.details", "app.audit.routes", "app.registry.checkpoint_check",
     "app.registry.checkpoint_cli", "app.auth.cli"),
    ("app.intake",),
    ("app.letters", "app.receipts", "app.answers"),
    ("app.workflow",),
    ("app.notifications",),
    ("app.complaints",),
    ("app.settings",),
    ("app.clocks",),  # the regulator's clocks: policies, presets, the working calendar, running clocks
    ("app.registry", "app.audit",
     "app.auth.access", "app.auth.forms", "app.auth.lockout", "app.auth.operations",
     "app.auth.routes", "app.auth.token_routes"),
    ("app.auth",),
    ("app.documents", "app.forms", "app.input_guard", "app.i18n", "app.dates", "app.ratelimits", "app.serving", "app.health",
     "app.languages", "app.text", "app.enums", "app.urls", "app.database", "app.clock", "app.files", "app.spreadsheets",
     "app.extensions"),
)

#: Imports that go up a layer on purpose: (importer, imported) -> why.
DELIBERATE = {
    ("app.workflow.cli", "app.mail.delivery"):
        "`flask deadlines watch` delivers the mail its sweeps queued, in the same loop",
    ("app.workflow.cli", "app.webhooks.dispatch"):
        "`flask deadlines watch` also posts the webhooks of what its sweeps (and everyone else) recorded",
    ("app.workflow.cli", "app.registry.checkpoint_cli"):
        "`flask deadlines watch` also writes (and e-mails) the periodic registry checkpoint",
    ("app.workflow.cli", "app.manage.rollup"):
        "each enforcement pass also rolls the old open work up for the figures (`rollup.roll`)",
}


@cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("app", exclude_type_checking_imports=True)


def _layer(module: str) -> int:
    matches = [
        (len(prefix), index)
        for index, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer: add it to LAYERS"
    return max(matches)[1]


def _imports() -> list[tuple[str, str]]:
    graph = _graph()
    return sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
    )


def test_no_module_imports_a_higher_layer_except_the_deliberate_ones() -> None:
    upward = {(a, b) for a, b in _imports() if _layer(b) < _layer(a)}
    assert upward - DELIBERATE.keys() == set(), "a lower layer imports a higher one"
    assert DELIBERATE.keys() - upward == set(), "an exception no longer needed: remove it"


def test_there_is_no_import_cycle() -> None:
    """Strongly connected components of the module graph (Tarjan), lazy imports included."""
    edges: dict[str, list[str]] = {}
    for importer, imported in _imports():
        edges.setdefault(importer, []).append(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    assert cycles == []


def test_the_layers_name_only_modules_that_exist() -> None:
    modules = _graph().modules
    missing = [prefix for prefixes in LAYERS for prefix in prefixes if prefix not in modules]
    assert missing == []
