"""Django's own migrations on PostgreSQL: `migrate` builds the original on a throwaway cluster; its
snapshot heals an empty database into the same catalogue, and Django's ORM behaves the same on both:
`inspectdb` reads the same models, and a forward reference inside one transaction (the DEFERRABLE
INITIALLY DEFERRED keys Django makes) commits on both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .pgserver import binaries, fresh_database
from .test_postgres_corpus import assert_clean_against, catalogue, heal_into, snapshot_into

pytest.importorskip("django", reason="Django is not installed (pip install -r requirements-dev.txt)")
pytest.importorskip("psycopg", reason="psycopg 3 is not installed (pip install -r requirements-dev.txt)")
pytestmark = pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (initdb) on this machine")

DJANGO = """
import io, sys
from urllib.parse import urlparse
import django
from django.conf import settings
url = urlparse(sys.argv[2])
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions",
                    "django.contrib.admin", "django.contrib.messages"],
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": url.path[1:], "USER": url.username,
                           "HOST": url.hostname, "PORT": url.port}},
    USE_TZ=True, DEFAULT_AUTO_FIELD="django.db.models.BigAutoField")
django.setup()
from django.core.management import call_command
from django.db import transaction
if sys.argv[1] == "migrate":
    call_command("migrate", verbosity=0, skip_checks=True)
elif sys.argv[1] == "inspectdb":
    out = io.StringIO()
    call_command("inspectdb", stdout=out)
    print(out.getvalue())
else:  # a permission written before the content type it names, in one transaction
    from django.contrib.auth.models import Permission, User
    from django.contrib.contenttypes.models import ContentType
    with transaction.atomic():
        Permission.objects.create(name="Can fly", codename="fly", content_type_id=424242)
        ContentType.objects.create(id=424242, app_label="air", model="plane")
    user = User.objects.create_user("ada", password="x")
    user.user_permissions.add(Permission.objects.get(codename="fly"))
    print(sorted(user.get_all_permissions()))
"""


def django(command: str, url: str) -> str:
    done = subprocess.run([sys.executable, "-c", DJANGO, command, url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_djangos_migrations_round_trip_and_its_orm_agrees(tmp_path: Path, pg_server: str) -> None:
    with fresh_database(pg_server) as source, fresh_database(pg_server) as copy:
        django("migrate", source)
        entry = snapshot_into(tmp_path, source)
        keys = [spec["references"] for table in entry["tables"].values() for spec in table["columns"].values()
                if isinstance(spec, dict) and isinstance(spec.get("references"), dict)]
        assert len(keys) >= 9 and all(k.get("deferrable") for k in keys), json.dumps(keys)
        assert_clean_against(tmp_path, source)
        heal_into(tmp_path, copy)
        assert catalogue(copy) == catalogue(source)
        assert_clean_against(tmp_path, copy)
        models = django("inspectdb", copy)
        assert models == django("inspectdb", source)
        # integer keys stay integer: AuthGroup's id is Django's default AutoField (not written), not BigAutoField
        group = models[models.index("class AuthGroup("):models.index("class AuthGroupPermissions(")]
        assert "BigAutoField" not in group and "id =" not in group, group
        assert django("orm", copy) == django("orm", source) == "['air.fly']\n"
