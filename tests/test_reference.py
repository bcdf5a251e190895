"""Reference data kept per process (storage.reference): the outlets and the business-day calendar are read
again as soon as any connection, in any process, changes them, and never kept from a transaction that may
still roll back."""

from datetime import date

from bot.proposals.outlets import active, by_slug
from bot.workdays import for_db
from storage import calendar, reference
from storage.db import Store

CLOSED = date(2027, 3, 3)  # a Wednesday


def _outlet(db, slug: str, name: str, position: int) -> None:
    db.execute(
        "INSERT INTO outlets (slug, name, owner, platform, lead_days, per_week, checklist, audiences, position,"
        " active, updated_at) VALUES (?, ?, 'university', 'x', 2, NULL, '[]', '[]', ?, 1, 'now')",
        [slug, name, position],
    )


def _two_connections(tmp_path):
    """Two connections to one file, as two threads (or processes) have."""
    path = tmp_path / "relais.db"
    Store(path)
    return Store(path, migrate=False).db, Store(path, migrate=False).db


def test_a_change_by_another_connection_is_seen_at_once(tmp_path):
    mine, theirs = _two_connections(tmp_path)
    with theirs.atomic():
        _outlet(theirs, "udem-x", "UdeM — X", 1)
    assert [o.name for o in active(mine)] == ["UdeM — X"]
    kept = reference.generation(mine)

    with theirs.atomic():
        theirs.execute("UPDATE outlets SET name = 'UdeM — X (ex-Twitter)' WHERE slug = 'udem-x'")
    assert reference.generation(mine) != kept
    assert [o.name for o in active(mine)] == ["UdeM — X (ex-Twitter)"]
    with theirs.atomic():
        theirs.execute("UPDATE outlets SET active = 0 WHERE slug = 'udem-x'")
    assert active(mine) == []
    assert list(by_slug(mine)) == ["udem-x"]  # still known, inactive


def test_the_same_outlets_are_not_read_again(tmp_path):
    mine, theirs = _two_connections(tmp_path)
    with theirs.atomic():
        _outlet(theirs, "udem-x", "UdeM — X", 1)
    first = active(mine)
    with theirs.atomic():  # a write elsewhere that is not reference data
        theirs.execute("INSERT INTO kv (key, value, updated_at) VALUES ('seen:abc', '1', 'now')")
    assert active(mine)[0] is first[0]


def test_a_closure_or_a_declared_holiday_changes_the_business_days(tmp_path):
    mine, theirs = _two_connections(tmp_path)
    assert for_db(mine).is_business_day(CLOSED)
    with theirs.atomic():
        calendar.upsert_events(
            theirs, "file", [{"uid": "c1", "name": "Fermeture", "kind": "closure", "start": CLOSED, "end": CLOSED}], "t"
        )
    assert not for_db(mine).is_business_day(CLOSED)

    with theirs.atomic():
        calendar.deactivate_events(theirs, "file", ["c1"], "t2")
    assert for_db(mine).is_business_day(CLOSED)

    holidays = for_db(mine).holidays
    with theirs.atomic():
        calendar.set_declared_holidays(theirs, ["Journée nationale des patriotes"], "t3")
    assert for_db(mine).holidays != holidays


def test_what_a_rolled_back_transaction_read_is_not_kept(tmp_path):
    mine, theirs = _two_connections(tmp_path)
    with theirs.atomic():
        _outlet(theirs, "udem-x", "UdeM — X", 1)
    assert [o.name for o in active(mine)] == ["UdeM — X"]
    try:
        with mine.atomic():
            mine.execute("UPDATE outlets SET name = 'Jamais enregistré' WHERE slug = 'udem-x'")
            assert [o.name for o in active(mine)] == ["Jamais enregistré"]  # its own change, inside
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with theirs.atomic():  # the generation the rolled-back change had reached, now with other data
        theirs.execute("UPDATE outlets SET name = 'UdeM — X, compte officiel' WHERE slug = 'udem-x'")
    assert [o.name for o in active(mine)] == ["UdeM — X, compte officiel"]


def test_a_new_database_at_the_same_path_is_read_afresh(tmp_path):
    path = tmp_path / "relais.db"
    db = Store(path).db
    with db.atomic():
        _outlet(db, "udem-x", "Ancienne base", 1)
    assert [o.name for o in active(db)] == ["Ancienne base"]
    db.conn.close()
    for file in tmp_path.glob("relais.db*"):
        file.unlink()

    db = Store(path).db
    with db.atomic():
        _outlet(db, "udem-x", "Nouvelle base", 1)
    assert [o.name for o in active(db)] == ["Nouvelle base"]


def test_one_request_reads_the_generation_once(tmp_path):
    mine, theirs = _two_connections(tmp_path)
    with theirs.atomic():
        _outlet(theirs, "udem-x", "UdeM — X", 1)
    with reference.pinned():
        assert [o.name for o in active(mine)] == ["UdeM — X"]
        with theirs.atomic():
            theirs.execute("UPDATE outlets SET name = 'Renommé pendant la requête' WHERE slug = 'udem-x'")
        assert [o.name for o in active(mine)] == ["UdeM — X"]  # the request's moment
        with mine.atomic():  # a transaction reads it anew
            assert [o.name for o in active(mine)] == ["Renommé pendant la requête"]
    assert [o.name for o in active(mine)] == ["Renommé pendant la requête"]
