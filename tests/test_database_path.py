"""A DATABASE_PATH that cannot be used (issue 14, item 2): every entry point of the real CLI says so in one
line naming the path and what is wrong, exit code 2, no traceback, and leaves nothing behind.

Permission denied is played by a user namespace (`unshare --map-user`): the tests may run as root, whom
file permissions do not stop; a read-only file system by a read-only bind mount in a mount namespace."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.processes import base_env

pytestmark = pytest.mark.e2e

APP_TOKEN = "xapp-1-A0RELAIS-1-0123456789-abcdef"

# Every run mode and one-shot command that opens the database, with the arguments it needs.
ENTRY_POINTS = [
    ("console",),
    ("socket",),
    ("serve",),
    ("tick", "--at", "2026-12-01T09:00"),
    ("check",),
    ("digest", "--dry-run"),
    ("export", "-o", "out.xlsx"),
    ("import", "nothing.csv"),
    ("report", "--year", "2026", "-o", "year.png"),
    ("calendar", "export", "-o", "cal.ics"),
    ("backup", "copy.db"),
    ("outbox", "retry", "--all"),
]


def said_in_one_line(done: subprocess.CompletedProcess, *words: str) -> str:
    """The run ended with exit 2 and one line on stderr holding every word; returns that line."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.mark.parametrize("args", ENTRY_POINTS, ids=lambda args: args[0])
def test_a_directory_in_place_of_the_database_stops_every_entry_point_in_one_line(cli, tmp_path, args):
    folder = tmp_path / "data"
    folder.mkdir()
    done = cli(*args, DATABASE_PATH=str(folder), SLACK_APP_TOKEN=APP_TOKEN)
    said_in_one_line(done, f"DATABASE_PATH ({folder})", "dossier", f"{folder}/relais.db")
    assert list(folder.iterdir()) == []


def test_a_file_that_is_not_sqlite_is_named_and_left_as_it_was(cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    for args in (("tick", "--at", "2026-12-01T09:00"), ("serve",), ("console",)):
        said_in_one_line(cli(*args, DATABASE_PATH=str(notes)), str(notes), "pas une base SQLite")
    assert notes.read_text() == "not a database\n"
    line = said_in_one_line(cli("check", DATABASE_PATH=str(notes), BOT_LANGUAGE="en"), str(notes))
    assert "is not a SQLite database" in line


def test_a_folder_that_cannot_be_created_names_the_file_on_the_way(cli, tmp_path):
    (tmp_path / "srv").write_text("a file where a folder is needed")
    path = tmp_path / "srv" / "relais" / "relais.db"
    for args in (("digest", "--dry-run"), ("serve",)):
        said_in_one_line(cli(*args, DATABASE_PATH=str(path)), str(path), f"{tmp_path / 'srv'} est un fichier")


def in_a_namespace(tmp_path, *args: str, shell: str = "", **env: str) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` in a user namespace (as uid 1000: no privilege over the files), after `shell`
    (run as the namespace's root, in its own mount namespace) when given."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not available")
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not available: {probe.stderr.decode(errors='replace').strip()}")
    environment = base_env(tmp_path, "http://127.0.0.1:9/api/", **env)
    bot = " ".join(["exec", sys.executable, "-m", "bot", *args])
    if shell:
        command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", f"{shell} && {bot}"]
    else:
        command = ["unshare", "--user", "--map-user=1000", "--map-group=1000", "sh", "-c", bot]
    return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)


def test_permission_denied_on_the_folder_or_the_file(cli, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    path = locked / "relais.db"
    said_in_one_line(in_a_namespace(tmp_path, "digest", "--dry-run", DATABASE_PATH=str(path)), str(path), str(locked))
    assert not path.exists()

    mine = tmp_path / "mine.db"
    assert cli("digest", "--dry-run", DATABASE_PATH=str(mine)).returncode == 0  # a good database...
    mine.chmod(0o444)  # ...that may be read, not written: found at start, not at the first change
    done = in_a_namespace(tmp_path, "tick", "--at", "2026-12-01T09:00", DATABASE_PATH=str(mine))
    said_in_one_line(done, str(mine), "permission refusée", "lire et écrire")
    mine.chmod(0o000)
    said_in_one_line(in_a_namespace(tmp_path, "check", DATABASE_PATH=str(mine)), str(mine), "permission refusée")


def test_a_read_only_file_system(cli, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    assert cli("digest", "--dry-run", DATABASE_PATH=str(disk / "relais.db")).returncode == 0
    read_only = f"mount --bind {disk} {disk} && mount -o remount,ro,bind {disk}"
    for path in (disk / "relais.db", disk / "new.db", disk / "sub" / "new.db"):
        done = in_a_namespace(tmp_path, "serve", shell=read_only, DATABASE_PATH=str(path))
        said_in_one_line(done, str(path), "lecture seule")
    with sqlite3.connect(disk / "relais.db") as conn:  # the database itself is intact
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_good_path_still_creates_its_folder_and_database(cli, tmp_path):
    path = tmp_path / "new" / "folder" / "relais.db"
    done = cli("digest", "--dry-run", DATABASE_PATH=str(path))
    assert done.returncode == 0, done.stderr
    assert path.is_file()
