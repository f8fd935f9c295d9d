"""A backup restored into an empty database holds everything: rows, states, archives, files."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy import text

from engine import Engine
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.persistence.schema import all_tables
from engine.persistence.schema import upgrade
from party import PARTY
from party.demo.driver import ProjectDriver
from web.cli import main

PDF = b"%PDF-1.4\n%backup test\n" + os.urandom(2048)


def fingerprint(url: str) -> dict[str, str]:
    """A digest of every table's rows, in key order."""
    engine = create_engine(url)
    digests = {}
    with engine.connect() as connection:
        for table in all_tables().sorted_tables:
            key = ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
            rows = connection.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {key}')).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    engine.dispose()
    return digests


@pytest.fixture
def empty_database(database_url, tmp_path):
    """Another empty, migrated database on the same backend."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path}/restored.db"
        yield url
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = database_url.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_restore_into_an_empty_database_gives_back_everything(party_engine, empty_database, tmp_path):
    driver = ProjectDriver(party_engine)
    driver.at("2008-03-03")
    instance_id = driver.apply("county1_applicant", "备份测试项目")
    driver.pass_review("county1_applicant", instance_id)
    task_id = party_engine.my_task_in("city_org", instance_id)
    attachment = party_engine.upload("city_org", task_id, "论证材料.pdf", PDF)
    before = fingerprint(party_engine.settings.database_url)

    info = party_engine.backup(tmp_path / "backups" / "dangjian.backup")
    assert info.size > 0 and info.instances == 1 and info.users >= 30
    with pytest.raises(InvalidInput):
        party_engine.backup(info.path)  # never overwrites an earlier backup

    restored = Engine(replace(party_engine.settings, database_url=empty_database), domain=PARTY)
    try:
        if empty_database.startswith("sqlite"):
            upgrade(create_engine(empty_database))  # an empty database with the schema: still empty
        result = restored.restore(info.path)
        assert (result.instances, result.users) == (1, info.users)
        assert fingerprint(empty_database) == before
        _info, data = restored.download("city_org", attachment.id)
        assert data == PDF
        with pytest.raises(InvalidState, match="--replace"):
            restored.restore(info.path)  # it holds data now
        restored.restore(info.path, replace=True)
        assert fingerprint(empty_database) == before
        assert restored.instance("admin", instance_id).title == "备份测试项目"
    finally:
        restored.db.dispose()


def test_backup_and_restore_from_the_command_line(party_engine, empty_database, tmp_path, monkeypatch):
    target = tmp_path / "cli.backup"
    monkeypatch.setenv("DATABASE_URL", party_engine.settings.database_url)
    result = CliRunner().invoke(main, ["backup", str(target)], catch_exceptions=False)
    assert result.exit_code == 0 and "已备份到" in result.output
    monkeypatch.setenv("DATABASE_URL", empty_database)
    result = CliRunner().invoke(main, ["restore", str(target)], catch_exceptions=False)
    assert result.exit_code == 0 and "已从" in result.output
    result = CliRunner().invoke(main, ["restore", str(tmp_path / "missing.backup")], catch_exceptions=False)
    assert result.exit_code == 1 and "不存在" in result.output
