"""A three-hour Slack outage, then recovery: every card and reminder still relevant is posted exactly
once, what stopped being relevant meanwhile is not, and nothing is given up on.

The proposals are registered as /propose registers them (card and reminders owed in one transaction);
the ticks are the real `python -m bot tick --at`, every 15 simulated minutes, against the Slack
stand-in answering 503 to every call, then refusing connections, then healthy again.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from bot.clock import to_text
from storage import outbox as rows
from tests.conftest import free_port
from tests.test_reminders_support import at, move, propose

DEC_14 = date(2026, 12, 14)


def test_a_three_hour_outage_delays_messages_without_losing_or_doubling_any(relais, standin, cli):
    start = at(relais, "2026-12-03T08:50")
    relais.clock.freeze(start)
    kept, kept_ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, card=True)
    other, other_ids = propose(
        relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, title="Heures des fêtes", card=True
    )
    owed = {r["key"] for r in rows.rows(relais.db) if r["status"] == "pending"}
    heads_up = {f"deadline:{kept_ids['udem-facebook']}:2026-12-07:heads_up"}
    submitted = f"deadline:{other_ids['udem-facebook']}:2026-12-07:heads_up"
    assert heads_up | {submitted} <= owed and {f"card:{kept}", f"card:{other}"} <= {k.split("@")[0] for k in owed}

    dead_api = f"http://127.0.0.1:{free_port()}/api/"
    standin.fail("*", status=503, times=10**6)
    when = start
    for step in range(13):  # 08:50 … 11:50
        if step == 6:  # second half: Slack's address refuses connections
            standin.heal()
        if step == 4:  # meanwhile the team submits one of them: its heads-up is no longer relevant
            move(relais, other_ids["udem-facebook"], "submitted", when=when.isoformat())
        env = {"SLACK_API_URL": dead_api} if step >= 6 else {}
        result = cli("tick", "--at", when.isoformat(), **env)
        assert result.returncode == 0, result.stderr
        when += timedelta(minutes=15)
    assert not [c for c in standin.calls() if (c.result or {}).get("ok")], "nothing got through the outage"
    statuses = Counter(r["status"] for r in rows.rows(relais.db))
    assert statuses["failed"] == 0 and statuses["sent"] == 0, statuses
    assert max(r["attempts"] for r in rows.rows(relais.db)) >= 6  # beyond the old limit, still owed

    standin.heal()  # Slack is back: ticks run on for two more hours (the backoff is an hour at most)
    for _ in range(9):
        result = cli("tick", "--at", when.isoformat())
        assert result.returncode == 0, result.stderr
        when += timedelta(minutes=15)

    final = {r["key"]: r for r in rows.rows(relais.db)}
    due = to_text(when)
    stuck = [
        k
        for k, r in final.items()
        if r["status"] in ("sending", "failed") or (r["status"] == "pending" and r["due_at"] <= due)
    ]
    assert not stuck, {k: final[k] for k in stuck}
    assert all(final[k]["status"] == "sent" for k in heads_up)
    assert final[submitted]["status"] in ("cancelled", "skipped")  # withdrawn when submitted, never posted
    cards = [k for k, r in final.items() if r["kind"] == "card"]
    assert len(cards) == 2 and all(final[k]["status"] == "sent" for k in cards)
    # Exactly once: every message Slack accepted is one sent row, and no row was accepted twice.
    accepted = [c for c in standin.calls() if c.method == "chat.postMessage" and (c.result or {}).get("ok")]
    posted = [r for r in final.values() if r["status"] == "sent" and r["slack_ts"] and not r["kind"].endswith("update")]
    assert len(accepted) == len(posted)
    assert len({c.result["ts"] for c in accepted}) == len(accepted)
    texts = Counter(c.args.get("text") for c in accepted)
    assert all(n == 1 for n in texts.values()), texts
