"""schema.snapshot round trips: snapshot a live database, heal an empty folder with it, compare."""

import json
import shutil
import sqlite3

import pytest

from selfheal.engines.sqlite import catalog
from selfheal.planning.compare import normalize_type, same_default

from .helpers import ROOT, invoke, write_schema

MUSIC = """
CREATE TABLE Artist (ArtistId INTEGER PRIMARY KEY AUTOINCREMENT, Name NVARCHAR(120));
CREATE TABLE Genre (GenreId INTEGER PRIMARY KEY, Name NVARCHAR(120));
CREATE TABLE MediaType (MediaTypeId INTEGER PRIMARY KEY, Name NVARCHAR(120));
CREATE TABLE Track (TrackId INTEGER PRIMARY KEY, Name NVARCHAR(200) NOT NULL,
  AlbumId INTEGER REFERENCES Album (AlbumId), MediaTypeId INTEGER NOT NULL REFERENCES MediaType (MediaTypeId),
  GenreId INTEGER REFERENCES Genre (GenreId), Composer NVARCHAR(220), Milliseconds INTEGER NOT NULL,
  Bytes INTEGER, UnitPrice NUMERIC(10,2) NOT NULL DEFAULT 0.99);
CREATE TABLE Album (AlbumId INTEGER PRIMARY KEY, Title NVARCHAR(160) NOT NULL,
  ArtistId INTEGER NOT NULL REFERENCES Artist (ArtistId));
CREATE TABLE Playlist (PlaylistId INTEGER PRIMARY KEY, Name NVARCHAR(120));
CREATE TABLE PlaylistTrack (PlaylistId INTEGER NOT NULL REFERENCES Playlist (PlaylistId),
  TrackId INTEGER NOT NULL REFERENCES Track (TrackId), PRIMARY KEY (PlaylistId, TrackId));
CREATE INDEX IFK_AlbumArtistId ON Album (ArtistId);
CREATE INDEX IFK_TrackAlbumId ON Track (AlbumId);
CREATE INDEX IFK_PlaylistTrackTrackId ON PlaylistTrack (TrackId);
CREATE UNIQUE INDEX UX_GenreName ON Genre (Name);
INSERT INTO Artist (Name) VALUES ('AC/DC'), ('Accept');
INSERT INTO Album (Title, ArtistId) VALUES ('For Those About To Rock', 1), ('Balls to the Wall', 2);
INSERT INTO MediaType (Name) VALUES ('MPEG');
INSERT INTO Track (Name, AlbumId, MediaTypeId, Milliseconds) VALUES ('Fast As a Shark', 2, 1, 230619);
"""

ORDERS = """
CREATE TABLE "Order Details" (
  "Order ID" INTEGER NOT NULL, "Product ID" INTEGER NOT NULL,
  qty INTEGER NOT NULL DEFAULT 1, discount REAL DEFAULT -0.5, note TEXT DEFAULT 'it''s new',
  created DATETIME DEFAULT CURRENT_TIMESTAMP, day DATE DEFAULT CURRENT_DATE,
  stamp TEXT DEFAULT (datetime('now')), computed INTEGER DEFAULT (1 + 2), flag BOOLEAN DEFAULT TRUE,
  empty_default TEXT DEFAULT NULL, raw BLOB DEFAULT X'00ff', untyped, "a""quote" TEXT UNIQUE,
  PRIMARY KEY ("Order ID", "Product ID"));
CREATE INDEX "by product" ON "Order Details" ("Product ID", qty);
CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT CHECK (msg <> ''));
CREATE VIEW big_orders AS SELECT * FROM "Order Details" WHERE qty > 10;
CREATE TRIGGER order_log AFTER INSERT ON "Order Details" BEGIN INSERT INTO log (msg) VALUES ('x'); END;
INSERT INTO "Order Details" ("Order ID", "Product ID") VALUES (1, 1), (1, 2);
"""


def make(path, script):
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.close()


def shape(path):
    conn = sqlite3.connect(path)
    live = catalog.read(conn, "x")
    conn.close()
    out = {}
    for table in live.tables:
        cols = [(c.name, normalize_type(c.type), c.not_null or c.name in table.primary_key, c.default, c.references)
                for c in table.columns if not c.hidden]
        indexes = {(tuple(i.columns), i.unique) for i in table.indexes if i.origin != "pk" and not i.partial}
        out[table.name] = (cols, tuple(table.primary_key), indexes)
    return out


def assert_same_shape(source, copy):
    a, b = shape(source), shape(copy)
    assert set(a) == set(b)
    for name in a:
        cols_a, pk_a, idx_a = a[name]
        cols_b, pk_b, idx_b = b[name]
        assert [c[:3] for c in cols_a] == [c[:3] for c in cols_b], name
        assert all(same_default(x[3], y[3]) for x, y in zip(cols_a, cols_b, strict=True)), name
        assert [c[4] for c in cols_a] == [c[4] for c in cols_b], name
        assert pk_a == pk_b and idx_a == idx_b, name


@pytest.mark.parametrize("script", [MUSIC, ORDERS], ids=["music-store", "order-details"])
def test_round_trip(tmp_path, script):
    source = tmp_path / "source"
    source.mkdir()
    make(source / "shop.db", script)
    p = invoke(source, "schema.snapshot", str(source / "shop.db"), "--out", str(source / "schema.json"),
               schema=False)
    assert p.returncode == 0, p.stderr
    doc = json.loads((source / "schema.json").read_text())
    assert list(doc["databases"]) == ["shop.db"]
    check = invoke(source, "validate", "--check")
    assert check.returncode == 0, check.stdout  # a database matches its own snapshot
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(source / "schema.json", copy / "schema.json")
    assert invoke(copy, "heal.db").returncode == 0
    assert_same_shape(source / "shop.db", copy / "shop.db")


def test_music_store_tables_come_in_dependency_order_with_keys(tmp_path):
    make(tmp_path / "music.db", MUSIC)
    p = invoke(tmp_path, "schema.snapshot", str(tmp_path / "music.db"), schema=False)
    tables = json.loads(p.stdout)["music.db"]["tables"]
    order = list(tables)
    assert order.index("Artist") < order.index("Album") < order.index("Track") < order.index("PlaylistTrack")
    assert tables["PlaylistTrack"]["primary_key"] == ["PlaylistId", "TrackId"]
    assert tables["Album"]["columns"]["ArtistId"] == {"type": "INTEGER", "not_null": True,
                                                       "references": "Artist.ArtistId"}
    assert {"columns": ["Name"], "unique": True, "name": "UX_GenreName"} in tables["Genre"]["indexes"]
    assert tables["Artist"]["columns"]["ArtistId"] == {"type": "INTEGER", "primary_key": True, "autoincrement": True}
    assert "AUTOINCREMENT" not in p.stderr  # declared now, no note


def test_defaults_of_every_kind_and_notes(tmp_path):
    make(tmp_path / "o.db", ORDERS)
    p = invoke(tmp_path, "schema.snapshot", str(tmp_path / "o.db"), "--name", "data/orders.db", schema=False)
    cols = json.loads(p.stdout)["data/orders.db"]["tables"]["Order Details"]["columns"]
    assert cols["qty"]["default"] == 1 and cols["discount"]["default"] == -0.5
    assert cols["note"]["default"] == "it's new" and cols["flag"]["default"] == {"sql": "TRUE"}
    assert cols["created"]["default"] == {"sql": "CURRENT_TIMESTAMP"}
    assert cols["stamp"]["default"] == {"sql": "datetime('now')"}
    assert cols["raw"]["default"] == {"sql": "X'00ff'"}
    assert cols["empty_default"] == {"type": "TEXT", "default": None}  # DEFAULT NULL, as SQLite reports it
    assert cols["untyped"] == "BLOB"
    entry = json.loads(p.stdout)["data/orders.db"]
    assert list(entry["views"]) == ["big_orders"] and list(entry["triggers"]) == ["order_log"]
    assert entry["triggers"]["order_log"].startswith("CREATE TRIGGER")
    assert cols["untyped"] == "BLOB" and "untyped: no declared type" in p.stderr
    assert json.loads(p.stdout)["data/orders.db"]["tables"]["log"]["columns"]["msg"]["check"] == "msg <> ''"
    assert "view big_orders" not in p.stderr and "CHECK" not in p.stderr  # what is declared is no note


def test_demo_databases_round_trip(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    for name in ("schema.json", ".env.example"):
        shutil.copy(ROOT / name, demo / name)
    invoke(demo, "heal.db")
    for db in ("app/data.db", "data/auth.db", "data/chat.db", "data/market.db"):
        out = tmp_path / "snap" / "schema.json"
        out.parent.mkdir(exist_ok=True)
        p = invoke(demo, "schema.snapshot", str(demo / db), "--out", str(out), "--name", db, schema=False)
        assert p.returncode == 0, p.stderr
    assert invoke(out.parent, "heal.db").returncode == 0
    for db in ("app/data.db", "data/auth.db", "data/chat.db", "data/market.db"):
        assert_same_shape(demo / db, out.parent / db)


def test_out_merges_one_entry_and_leaves_the_rest(tmp_path):
    make(tmp_path / "music.db", MUSIC)
    existing = {"$schema": "./selfheal/schema.schema.json", "version": 1, "env": {"required": ["K"]},
                "databases": {"other.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}},
                              "music.db": {"tables": {}}}}
    (tmp_path / "schema.json").write_text(json.dumps(existing))
    p = invoke(tmp_path, "schema.snapshot", "music.db", "--out", "schema.json", schema=False)
    assert p.returncode == 0 and "replaced" in p.stderr
    doc = json.loads((tmp_path / "schema.json").read_text())
    assert doc["env"] == existing["env"] and doc["databases"]["other.db"] == existing["databases"]["other.db"]
    assert list(doc["databases"]) == ["other.db", "music.db"] and "Track" in doc["databases"]["music.db"]["tables"]


@pytest.mark.parametrize("content, words", [(b"not a database at all" * 10, "not an SQLite database"),
                                            (None, "does not exist")])
def test_snapshot_errors_are_clear(tmp_path, content, words):
    if content is not None:
        (tmp_path / "bad.db").write_bytes(content)
    p = invoke(tmp_path, "schema.snapshot", "bad.db", schema=False)
    assert p.returncode == 1 and words in p.stderr and "Traceback" not in p.stderr


def test_the_key_is_relative_to_the_schema_folder(tmp_path):
    (tmp_path / "data").mkdir()
    make(tmp_path / "data" / "music.db", MUSIC)
    elsewhere = tmp_path / "data"
    p = invoke(elsewhere, "schema.snapshot", "music.db", "--schema", str(tmp_path / "schema.json"), schema=False)
    assert list(json.loads(p.stdout)) == ["data/music.db"]
    p = invoke(elsewhere, "schema.snapshot", "music.db", schema=False)
    assert list(json.loads(p.stdout)) == ["music.db"]


def test_a_not_null_primary_key_stays_not_null_through_the_snapshot(tmp_path):
    """`code TEXT NOT NULL PRIMARY KEY` snapshotted and healed elsewhere refuses NULL keys, as the source does."""
    source = tmp_path / "source"
    source.mkdir()
    make(source / "app.db", "CREATE TABLE currencies (code TEXT NOT NULL PRIMARY KEY, name TEXT)")
    p = invoke(source, "schema.snapshot", "app.db", "--out", "schema.json", schema=False)
    assert p.returncode == 0, p.stderr
    doc = json.loads((source / "schema.json").read_text())
    assert doc["databases"]["app.db"]["tables"]["currencies"]["columns"]["code"] == {
        "type": "TEXT", "primary_key": True, "not_null": True}
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "schema.json").write_text(json.dumps(doc))
    assert invoke(fresh, "heal.db").returncode == 0
    conn = sqlite3.connect(fresh / "app.db")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO currencies (code, name) VALUES (NULL, 'x')")
    conn.close()


def test_a_declared_not_null_key_the_table_lets_hold_nulls_is_drift(tmp_path):
    make(tmp_path / "app.db", "CREATE TABLE currencies (code TEXT PRIMARY KEY, name TEXT)")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"currencies": {"columns": {
        "code": {"type": "TEXT", "primary_key": True, "not_null": True}, "name": "TEXT"}}}}}})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 2 and "app.db:currencies.code" in p.stdout and "nullable, declared NOT NULL" in p.stdout


def test_a_multi_line_expression_is_kept_verbatim(tmp_path):
    """White space inside a string literal is data: the snapshot must not collapse it."""
    make(tmp_path / "app.db", "CREATE TABLE t (x TEXT CHECK (x <> 'a  b'\n  AND x <> 'c'))")
    p = invoke(tmp_path, "schema.snapshot", "app.db", schema=False)
    check = json.loads(p.stdout)["app.db"]["tables"]["t"]["columns"]["x"]["check"]
    assert check == "x <> 'a  b'\n  AND x <> 'c'"
