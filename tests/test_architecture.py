"""The rules of the house that a reader cannot see from one file: which way the apps depend,
and which module alone may do a thing. Each reads the source, so it fails the moment a
change breaks the rule, naming the line."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Bottom to top: an app may import only from the apps before it (README, "Architecture").
LAYERS = [
    "core",
    "responders",
    "catalogue",
    "grievances",
    "alerts",
    "affairs",
    "escalation",
    "intake",
    "meetings",
    "surveys",
    "consultation",
    "reports",
    "residents",
    "api",
    "retention",
    "demo",
    "config",
]


def _sources(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imports(path: Path):
    """(line, imported top-level package) for every import in the file, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]


def test_apps_import_only_from_the_apps_below_them():
    upward = []
    for rank, app in enumerate(LAYERS):
        above = set(LAYERS[rank + 1 :])
        for path in _sources(app):
            for line, package in _imports(path):
                if package in above and not (app == "config" and package == "config"):
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports {package}")
    # config.settings and config.celery are loaded by Django and Celery, not imported by apps;
    # config.urls and config.views sit on top of everything.
    assert upward == []


def test_every_app_is_in_the_layers():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"core", "config"}
    assert apps == set(LAYERS)


def test_only_core_locks_takes_row_locks():
    """Every lock goes through core.locks, which takes several rows in key order (no deadlocks)."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in LAYERS
        for path in _sources(app)
        if path != ROOT / "core" / "locks.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "select_for_update(" in line and not line.lstrip().startswith(("#", '"', "(`"))
    ]
    assert found == []


# Other models have a status of their own; a write to one is allowed outside the transitions
# when the object written is named here. A new model with a status adds its variable name.
OTHER_STATUSES = {"meeting", "topic", "task", "invitation", "project", "unfinished", "RecurringTopic"}
TICKET_STATE = {"status", "tier", "respond_by", "resolve_by", "answer_by", "feedback_due_by"}


def _state_writes(path: Path):
    """(line, what) for every write of a ticket's state field in the file: an assignment to
    the attribute (whatever the variable is called), or an update()/bulk_update() naming it."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for one in target.elts if isinstance(target, ast.Tuple | ast.List) else [target]:
                if isinstance(one, ast.Attribute) and one.attr in TICKET_STATE:
                    owner = ast.unparse(one.value)
                    if not (one.attr == "status" and owner in OTHER_STATUSES):
                        yield node.lineno, ast.unparse(one)
        is_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if is_call and node.func.attr in ("update", "bulk_update"):
            named = {keyword.arg for keyword in node.keywords}
            for arg in node.args:
                if isinstance(arg, ast.List | ast.Tuple):
                    named |= {e.value for e in arg.elts if isinstance(e, ast.Constant)}
            receiver = ast.unparse(node.func.value)
            if named & TICKET_STATE and not any(name in receiver for name in OTHER_STATUSES):
                yield node.lineno, f"{receiver}.{node.func.attr}({', '.join(sorted(named & TICKET_STATE))})"


def test_only_the_transitions_write_status_tier_and_deadlines():
    """DESIGN.md rule 1: a ticket's status, tier and deadlines are written only in
    escalation/transitions/ (reads and filters anywhere): no assignment to those attributes
    under any variable name, no queryset update() or bulk_update() of them."""
    found = [
        f"{path.relative_to(ROOT)}:{line} {what}"
        for app in LAYERS
        for path in _sources(app)
        if "transitions" not in path.relative_to(ROOT).parts
        for line, what in _state_writes(path)
    ]
    assert found == []
