"""What users tripped over in round 3, each reproduced as the command a user would type."""

import json
import re
import socket
import sys

import pytest

from .helpers import ROOT, invoke, write_schema
from .test_newcomer import selfheal

DB = {"databases": {"app.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}}


# ---------------------------------------------------------------- 1. a name nobody else has on the package index

def test_the_distribution_name_is_ours_and_no_instruction_installs_anyone_elses():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'name = "selfheal-startup"' in pyproject  # "selfheal" on the index is an unrelated LLM project
    assert 'selfheal = "selfheal.__main__:main"' in pyproject
    texts = [(ROOT / "README.md").read_text()] + [p.read_text() for p in (ROOT / "selfheal").rglob("*.py")]
    assert not any(re.search(r"pip install '?selfheal(\[|'|\s|$)", text) for text in texts)
    postgres = (ROOT / "requirements-postgres.txt").read_text()
    assert "-r requirements.txt" in postgres and "psycopg[binary]" in postgres
    assert "pip install -r requirements-postgres.txt" in (ROOT / "README.md").read_text()


def test_the_missing_driver_hint_names_the_driver_itself(tmp_path, monkeypatch):
    from selfheal.context import Mode
    from selfheal.runner import run

    write_schema(tmp_path, {"databases": {"main": {"url": "env:DATABASE_URL", "tables": {}}}})
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:1/db")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    [finding] = [f for f in run(tmp_path / "schema.json", Mode.CHECK, ("db",)).findings if f.check == "db.connect"]
    assert "(psycopg 3) is not installed" in finding.message
    assert "pip install -r requirements-postgres.txt" in finding.hint and "psycopg[binary]" in finding.hint


# ---------------------------------------------------------------- 2. --only / --skip never check nothing

@pytest.mark.parametrize("flag, token, meant", [("--only", "dbb", "db"), ("--only", "DB", "db"),
                                                ("--skip", "db.colum", "db.column"),
                                                ("--only", "app.prot", "app.port")])
def test_a_selection_that_names_nothing_is_an_error_with_the_closest(tmp_path, flag, token, meant):
    write_schema(tmp_path, {**DB, "checks": ["checks.py"]})
    (tmp_path / "checks.py").write_text("from selfheal import Finding, Status, check\n"
                                        "@check('app.port')\ndef c(ctx):\n    return []\n")
    p = invoke(tmp_path, "validate", flag, token, "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 1 and [f["check"] for f in doc["checks"]] == ["selection"], p.stdout
    assert f"did you mean {meant!r}" in doc["checks"][0]["hint"]
    assert not (tmp_path / "app.db").exists()  # nothing was checked, so nothing was healed


def test_up_with_a_typo_in_only_never_starts_the_app(tmp_path):
    write_schema(tmp_path, {"app": {"command": [sys.executable, "-c", "print('app started')"]}})
    p = invoke(tmp_path, "up", "--only", "dbb")
    assert p.returncode == 1 and "app started" not in p.stdout, p.stdout


def test_checks_lists_every_check_id_built_in_and_the_projects(tmp_path):
    write_schema(tmp_path, {"checks": ["checks.py"]})
    (tmp_path / "checks.py").write_text("from selfheal import Finding, Status, check\n"
                                        "@check('app.port')\ndef c(ctx):\n    return []\n")
    p = selfheal(tmp_path, "checks", "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 0 and doc["project"] == {"app.port": "checks.py"}
    assert {"db.column", "env.key", "python.version", "deps.node"} <= set(doc["built_in"])
    assert "app.port" in selfheal(tmp_path, "checks").stdout


def test_every_check_id_selfheal_reports_is_in_the_catalogue():
    from selfheal.checkids import ALWAYS, BUILT_IN, PARTS

    used = set()
    for path in (ROOT / "selfheal").rglob("*.py"):
        used.update(re.findall(r'"((?:python|env|fs|db|deps)\.[a-z_]+)"', path.read_text()))
    assert used <= set(BUILT_IN), used - set(BUILT_IN)
    assert {"schema", "state", "audit", "internal"} <= set(ALWAYS) and "checks" in PARTS


# ---------------------------------------------------------------- 3. the selfheal command has its own flags only

def test_selfheal_help_shows_its_own_flags_not_invokes(tmp_path):
    text = selfheal(tmp_path, "--help").stdout
    assert not re.search(r"--(dry|pty|echo|config|hide|warn-only)\b(?!-)", text), text
    assert "--version" in text and "heal.db" in text


@pytest.mark.parametrize("args, words", [
    (("--dry", "heal.db"), "--dry is not an option of selfheal (`selfheal TASK --dry-run`"),
    (("--echo", "heal.db"), "--echo is not an option of selfheal"),
    (("--bogus", "heal.db"), "unknown option '--bogus'"),
    (("heal.db", "--bogus"), "unknown option '--bogus'"),
])
def test_invokes_flags_are_refused_and_nothing_is_written(tmp_path, args, words):
    write_schema(tmp_path, DB)
    p = selfheal(tmp_path, *args)
    assert p.returncode == 1 and words in p.stderr, p.stderr
    assert not (tmp_path / "app.db").exists()


# ---------------------------------------------------------------- 5. a port in TIME-WAIT is free, as for the app

def test_a_port_left_in_time_wait_is_free_for_the_app(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT))
    try:
        import checks
    finally:
        sys.path.remove(str(ROOT))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the app's http.server does
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server closes first: its side of the connection waits in TIME-WAIT
    client.close()
    listener.close()
    monkeypatch.setenv("APP_HOST", "127.0.0.1")
    monkeypatch.setenv("APP_PORT", str(port))
    [finding] = checks.port_free(type("Ctx", (), {"env": {}})())
    assert finding.status.value == "ok", finding
    held = socket.socket()
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind(("127.0.0.1", port))
    held.listen()
    try:
        [finding] = checks.port_free(type("Ctx", (), {"env": {}})())
        assert finding.status.value == "error" and "in use" in finding.message
    finally:
        held.close()


# ---------------------------------------------------------------- 4. what --dry-run says heal will do, heal does

def _populated(folder, strict=False):
    import sqlite3

    conn = sqlite3.connect(folder / "app.db")
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)" + (" STRICT" if strict else ""))
    conn.executemany("INSERT INTO items (name) VALUES (?)", [("a",), ("b",), ("c",)])
    conn.commit()
    conn.close()


@pytest.mark.parametrize("column, words, strict", [
    ({"type": "TEXT", "unique": True, "default": "x"}, "UNIQUE refuses the same value twice", False),
    ({"type": "INTEGER", "default": 0, "check": "qty > 0"}, "fails its CHECK (qty > 0) in 3 existing row(s)", False),
    ({"type": "INTEGER", "default": "abc"}, "is not a INTEGER value, which the STRICT table items refuses", True),
])
def test_a_column_no_existing_row_can_take_is_predicted_and_the_rest_still_heals(tmp_path, column, words, strict):
    import sqlite3

    _populated(tmp_path, strict)
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"items": {"columns": {
        "id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT", "qty": column,
        "note": {"type": "TEXT", "default": "n/a"}}, "indexes": [{"columns": ["name"]}]}}}}})
    dry = json.loads(invoke(tmp_path, "heal.db", "--dry-run", "--json").stdout)
    healed = invoke(tmp_path, "heal.db", "--json")
    done = json.loads(healed.stdout)
    predicted = {(f["target"], f["status"]) for f in dry["checks"] if f["status"] == "error" and "qty" in f["target"]}
    assert predicted == {("app.db:items.qty", "error")}
    [qty] = [f for f in done["checks"] if f["target"] == "app.db:items.qty"]
    assert qty["status"] == "error" and words in qty["message"], qty
    # every other change the dry run announced was made
    would = {f["target"] for f in dry["checks"] if "heal would" in f["message"]}
    made = {f["target"] for f in done["checks"] if f["status"] == "healed"}
    assert would == made == {"app.db:items.note", "app.db:items#idx_items_name"}
    conn = sqlite3.connect(tmp_path / "app.db")
    assert [r[1] for r in conn.execute("PRAGMA table_info(items)")] == ["id", "name", "note"]
    assert conn.execute("SELECT count(*) FROM items").fetchone() == (3,)
    conn.close()


# ---------------------------------------------------------------- 7. --restore over a corrupt file with a junk journal

def _damage(db):
    data = bytearray(db.read_bytes())
    for i in range(4096 + 100, len(data), 997):
        data[i] = (data[i] + 77) % 256
    db.write_bytes(bytes(data))


def _two_hundred_rows(db):
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (a TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("keep" * 50,)] * 200)
    conn.commit()
    conn.close()


def test_restore_replaces_a_corrupt_file_whose_journal_is_junk(tmp_path):
    import sqlite3

    db = tmp_path / "app.db"
    _two_hundred_rows(db)
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {"a": "TEXT", "b": "TEXT"}}}}}})
    assert invoke(tmp_path, "heal.db").returncode == 0  # a change to an existing database: a backup first
    _damage(db)
    (tmp_path / "app.db-journal").write_bytes(b"this is junk, not a journal" * 10)
    check = invoke(tmp_path, "heal.db")
    assert check.returncode == 1 and "database is corrupt" in check.stdout and "--restore" in check.stdout
    p = invoke(tmp_path, "heal.db", "--restore", "--json")
    [restored] = [f for f in json.loads(p.stdout)["checks"] if f["check"] == "db.restore"]
    assert p.returncode == 0 and restored["status"] == "healed", p.stdout
    assert "seconds ago" in restored["message"] and "-journal)" in restored["message"]
    assert sorted(f.name for f in tmp_path.glob("app.db.corrupt-*")) == sorted(
        [n for n in (restored["message"].split("kept as ")[1].split(" (with ")[0],) if n] +
        [restored["message"].split("(with ")[1].rstrip(")")])
    assert sqlite3.connect(db).execute("SELECT count(*) FROM t").fetchone() == (200,)


def test_a_corrupt_file_without_a_backup_is_not_sent_to_restore(tmp_path):
    db = tmp_path / "app.db"
    _two_hundred_rows(db)
    _damage(db)
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 1 and "no backup of it" in p.stdout and "--restore" not in p.stdout, p.stdout


# ---------------------------------------------------------------- 6. rowid, oid and _rowid_ as column names, both paths

@pytest.mark.slow
@pytest.mark.parametrize("bulk", [False, True], ids=["one-by-one", "bulk"])
def test_columns_named_like_the_rowid_keep_every_row_on_both_paths(tmp_path, monkeypatch, bulk):
    """The generative test's intermittent case, enumerated: every mix of rowid/oid/_rowid_ as existing and
    new columns, with and without an INTEGER PRIMARY KEY, added plainly, NOT NULL or UNIQUE."""
    import itertools
    import sqlite3

    from selfheal.context import Mode
    from selfheal.planning import plan as plan_module
    from selfheal.runner import run

    if bulk:
        monkeypatch.setattr(plan_module, "BULK_REBUILDS", 1)
        monkeypatch.setattr(plan_module, "BULK_ADD_COLUMNS", 1)
    names = ["rowid", "oid", "_rowid_", "a"]
    kinds = [{"type": "TEXT", "not_null": True, "default": "x"}, {"type": "TEXT", "unique": True}, "TEXT"]
    for n, (existing, new, pk, kind) in enumerate(itertools.product(
            [c for k in (1, 2, 3) for c in itertools.combinations(names, k)], names, (False, True), kinds)):
        if new in existing:
            continue
        folder = tmp_path / str(n)
        folder.mkdir()
        conn = sqlite3.connect(folder / "p.db")
        cols = ", ".join(f'"{c}" INTEGER' + (" PRIMARY KEY" if pk and i == 0 else "") for i, c in enumerate(existing))
        conn.execute(f"CREATE TABLE t ({cols})")
        conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(existing))})",
                         [tuple(r * 10 + i + 1 for i in range(len(existing))) for r in range(3)])
        conn.commit()
        before = conn.execute("SELECT * FROM t ORDER BY 1").fetchall()
        conn.close()
        declared = {c: ({"type": "INTEGER", "primary_key": True} if pk and i == 0 else "INTEGER")
                    for i, c in enumerate(existing)}
        write_schema(folder, {"databases": {"p.db": {"tables": {"t": {"columns": {**declared, new: kind}}}}}})
        dry = run(folder / "schema.json", Mode.DRY_RUN, ("db",))
        healed = run(folder / "schema.json", Mode.HEAL, ("db",))
        predicted = {f.target for f in dry.findings if f.status.value == "error" and not f.action}
        assert {f.target for f in healed.findings if f.status.value == "error"} == predicted, (existing, new, kind)
        conn = sqlite3.connect(folder / "p.db")
        shown = ", ".join(f'"{c}"' for c in existing)
        assert conn.execute(f"SELECT {shown} FROM t ORDER BY 1").fetchall() == before, (existing, new, kind)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()


# ---------------------------------------------------------------- 8. the smaller things

def test_an_sql_snapshot_written_elsewhere_is_declared_relative_to_the_schema(tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "shop.db").execute("CREATE TABLE t (a TEXT)").connection.close()
    (tmp_path / "schema").mkdir()
    write_schema(tmp_path, {})
    p = invoke(tmp_path, "schema.snapshot", "shop.db", "--format", "sql", "--out", "schema/shop.sql")
    assert p.returncode == 0 and '"sql": "schema/shop.sql"' in p.stderr, p.stderr


def test_a_json_view_sees_the_tables_of_the_sql_file_beside_it(tmp_path):
    (tmp_path / "s.sql").write_text("CREATE TABLE shop (id INTEGER PRIMARY KEY, name TEXT);\n"
                                    "CREATE VIEW shop_names AS SELECT name FROM shop;\n")
    write_schema(tmp_path, {"databases": {"s.db": {"sql": "s.sql", "views": {
        "v": "SELECT id FROM shop", "w": "SELECT name FROM shop_names"}}}})
    p = invoke(tmp_path, "validate")
    assert p.returncode == 0, p.stdout
    assert invoke(tmp_path, "validate", "--check").returncode == 0


def test_messages_name_the_file_that_declares_the_object(tmp_path):
    import sqlite3

    (tmp_path / "s.sql").write_text("CREATE TABLE shop (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n")
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute("CREATE TABLE shop (id INTEGER PRIMARY KEY, name INTEGER)")
    conn.close()
    (tmp_path / "decl.json").write_text(json.dumps({"version": 1, "databases": {"s.db": {"sql": "s.sql"}}}))
    p = invoke(tmp_path, "validate", "--check", "--schema", str(tmp_path / "decl.json"), schema=False)
    assert "differs from s.sql" in p.stdout and "schema.json" not in p.stdout, p.stdout
    drift = invoke(tmp_path, "validate", "--drift", "--schema", str(tmp_path / "decl.json"), schema=False)
    assert "declared (decl.json)" in drift.stdout, drift.stdout


def test_the_selfheal_command_finds_the_schema_above_and_init_never_nests_one(tmp_path):
    write_schema(tmp_path, DB)
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    p = selfheal(sub, "validate", "--check")
    assert p.returncode == 1 and "app.db" in p.stdout, p.stdout  # the project's schema.json, from below
    p = selfheal(sub, "init")
    assert p.returncode == 1 and "already describes this folder" in p.stderr, p.stderr
    assert not (sub / "schema.json").exists()


def test_no_task_has_a_short_flag_that_means_something_else_elsewhere(tmp_path):
    write_schema(tmp_path, {})
    for task in ("validate", "heal.db", "up", "schema.snapshot", "heal.deps", "init", "checks"):
        text = invoke(tmp_path, "--help", task, schema=False).stdout
        assert not re.search(r"^\s+-[a-zA-Z],", text, re.MULTILINE), (task, text)


def test_up_shows_errors_it_cannot_heal_once(tmp_path):
    write_schema(tmp_path, {"python": ">=99", "app": {"command": [sys.executable, "-c", "pass"]}})
    p = invoke(tmp_path, "up")
    assert p.returncode == 1 and p.stdout.count("python.version") == 1, p.stdout
    assert "the same 1 error remain" in p.stderr


def test_a_rolled_back_retry_reuses_its_backup_and_is_in_the_audit(tmp_path):
    import sqlite3

    from selfheal.safety.backup import fingerprint, write_backup

    db = tmp_path / "app.db"
    sqlite3.connect(db).execute("CREATE TABLE t (a TEXT)").connection.close()
    state = tmp_path / ".selfheal"
    first = write_backup(db, state, "app.db", 5, 1.0)
    assert write_backup(db, state, "app.db", 5, 1.0) == first  # the file did not change: no second copy
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO t VALUES ('x')")
    conn.commit()
    conn.close()
    assert write_backup(db, state, "app.db", 5, 1.0) != first and fingerprint(db)


def test_an_interrupted_heal_is_in_the_audit_trail(tmp_path, monkeypatch):
    from selfheal.context import Mode
    from selfheal.runner import run
    from selfheal.safety.audit import last_run

    write_schema(tmp_path, {"directories": ["data"], **DB})

    def interrupted(ctx, **_):
        raise KeyboardInterrupt

    monkeypatch.setitem(__import__("selfheal.runner", fromlist=["_CHECKS"])._CHECKS, "db", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "schema.json", Mode.HEAL, ("fs", "db"))
    doc = last_run(tmp_path / ".selfheal")
    assert doc is not None and doc["result"] == "interrupted" and doc["done"] == ["fs.directory data"]


def test_sql_declared_indexes_are_reported_with_desc_and_where(tmp_path):
    (tmp_path / "s.sql").write_text("CREATE TABLE t (a INTEGER, b TEXT);\n"
                                    "CREATE INDEX t_a ON t (a DESC) WHERE b IS NOT NULL;\n")
    write_schema(tmp_path, {"databases": {"s.db": {"sql": "s.sql"}}})
    p = invoke(tmp_path, "heal.db", "--json")
    [index] = [f for f in json.loads(p.stdout)["checks"] if f["check"] == "db.index"]
    assert "(a DESC) WHERE b IS NOT NULL" in index["message"], index


def test_a_long_heal_shows_a_spinner_on_a_terminal_only_after_a_second():
    from selfheal.engines.sqlite.progress import Ticker

    now = [0.0]
    ticker = Ticker("healing app.db", clock=lambda: now[0])
    now[0] = 0.5
    assert ticker() == 0 and ticker.status is None  # quick work: nothing shown
    now[0] = 2.0
    assert ticker() == 0 and ticker.status is not None  # past a second: shown, work goes on
    now[0] = 3.0
    ticker()
    ticker.stop()
