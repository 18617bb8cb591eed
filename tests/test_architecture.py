"""The module map holds: one-way layers, no import circles, engines behind one interface, small modules."""

import ast
from pathlib import Path

import pytest

from selfheal import engines
from selfheal.findings import Finding, Status

PACKAGE = Path(__file__).resolve().parent.parent / "selfheal"

# lowest first: a module may import only from its own layer or the layers before it
LAYERS = [
    ("base", ["selfheal.version", "selfheal.errors", "selfheal.text", "selfheal.checkids", "selfheal.findings",
              "selfheal.model"]),
    ("safety", ["selfheal.safety"]),
    ("planning", ["selfheal.planning"]),
    ("context", ["selfheal.context"]),
    ("environment", ["selfheal.environment"]),
    ("engines", ["selfheal.engines"]),
    ("declare", ["selfheal.declare"]),
    ("run", ["selfheal.runner", "selfheal.drift"]),
    ("interface", ["selfheal.report", "selfheal.cli", "selfheal.launcher", "selfheal.adopt", "selfheal.tasks",
                   "selfheal.__main__", "selfheal"]),
]
GENERATED = {"selfheal.declare._structure_validator"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("selfheal",) + path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Every selfheal module `name` imports, at the top or inside a function (TYPE_CHECKING included)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _layer(name: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    return rank


def test_every_module_has_a_layer():
    assert [m for m in MODULES if _layer(m) < 0] == []


def test_no_import_runs_back_up_a_layer():
    upward = [f"{m} -> {d}" for m, deps in GRAPH.items() for d in deps if _layer(d) > _layer(m)]
    assert upward == []


def test_the_import_graph_has_no_circles():
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(GRAPH[node]):
            if state.get(dep) == 1:
                circles.append(" -> ".join(trail[trail.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep, trail + [dep])
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_engines_never_import_each_other_and_outsiders_never_import_their_internals():
    crossing = []
    for name, deps in GRAPH.items():
        for dep in deps:
            if not dep.startswith("selfheal.engines."):
                continue
            engine = dep.split(".")[2]
            inside = name.startswith(f"selfheal.engines.{engine}")
            if not inside and not (name == "selfheal.engines" and dep == f"selfheal.engines.{engine}"):
                crossing.append(f"{name} -> {dep}")
    assert crossing == []


def test_modules_and_functions_stay_small():
    too_long = []
    for name, path in MODULES.items():
        if name in GENERATED:
            continue
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert too_long == []


def test_each_registered_engine_implements_the_interface():
    for name in engines.REGISTRY:
        engine = engines.get(name)
        assert engine.name == name
        for method in ("capabilities", "rules", "check", "drift", "restore", "snapshot", "snapshot_sql"):
            assert callable(getattr(engine, method)), (name, method)
        assert engine.rules().name == name


def test_an_unknown_engine_is_named_with_the_known_ones():
    with pytest.raises(LookupError, match="no database engine named 'mysql' .known: postgres, sqlite"):
        engines.get("mysql")


class _EchoEngine:
    """A test engine: every declared database is reported as present, nothing is read or written."""

    name = "echo"

    def check(self, ctx, desired):
        return [Finding("db.file", desired.path, Status.OK, f"echo engine saw {len(desired.tables)} tables")]

    def restore(self, ctx, desired):
        return []

    def drift(self, project, desired):
        return []


def test_a_new_engine_needs_a_folder_and_one_registration_line(tmp_path, monkeypatch):
    """What 'adding an engine' in the README says: a package with ENGINE, one line in REGISTRY."""
    package = tmp_path / "echo_engine"
    package.mkdir()
    (package / "__init__.py").write_text("from tests.test_architecture import _EchoEngine\nENGINE = _EchoEngine()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(engines.REGISTRY, "echo", "echo_engine")
    from dataclasses import replace

    from selfheal.context import Mode, RunContext
    from selfheal.drift import project_drift
    from selfheal.model import Database, Project, Table
    from selfheal.runner import _databases

    project = Project(root=tmp_path, schema_path=tmp_path / "schema.json",
                      databases=(replace(Database("remote", tables=(Table("t", ()),)), engine="echo"),))
    ctx = RunContext(project, Mode.CHECK)
    try:
        [finding] = _databases(ctx)
    finally:
        ctx.close()
    assert (finding.target, finding.status, finding.message) == ("remote", Status.OK, "echo engine saw 1 tables")
    assert project_drift(project) == []
