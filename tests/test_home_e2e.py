"""App Home over signed HTTP: `app_home_opened` publishes the user's home (views.publish at the
stand-in) with their proposals, the deadlines of the next 14 days and the figures to record;
its buttons open the /propose and /stats modals."""

import json
import time
from datetime import date

import pytest

from storage import proposals as proposal_rows
from storage import stats as stats_rows
from tests import slack
from tests.stats_seed import placement_id, publish

pytestmark = pytest.mark.e2e

NOW = "2026-12-01T09:00"


@pytest.fixture
def web(web_with):
    return web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")


def home_event(user="U0JULIETTE", tab="home"):
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab, "event_ts": str(time.time())}


def texts(view) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def data(relais):
    db = relais.db
    mine = proposal_rows.create(
        db,
        title="Zooanimation <!channel>",
        publish_on=date(2026, 12, 10),
        owner_id="U0JULIETTE",
        now="2026-11-20T12:00:00Z",
        outlets=[("udem-facebook", date(2026, 12, 3)), ("bib-facebook", date(2026, 12, 10))],
    )
    theirs = proposal_rows.create(
        db,
        title="Exposition de livres rares",
        publish_on=date(2026, 12, 14),
        owner_id="U0AUTRE",
        now="2026-11-20T12:00:00Z",
        outlets=[("udem-nouvelles", date(2026, 11, 30))],
    )
    later = proposal_rows.create(
        db,
        title="Rentrée d'hiver",
        publish_on=date(2027, 1, 20),
        owner_id="U0JULIETTE",
        now="2026-11-20T12:00:00Z",
        outlets=[("udem-x", date(2027, 1, 18))],
    )
    published = publish(db, "Réouverture des bibliothèques", date(2026, 11, 20), {"udem-facebook": None})
    return mine, theirs, later, published


def test_opening_the_home_tab_publishes_the_users_home(relais, web, standin):
    mine, _theirs, later, published = data(relais)
    assert web.event(home_event()).status_code == 200
    call = standin.wait_for("views.publish")[0]
    assert call.args["user_id"] == "U0JULIETTE"
    view = call.args["view"]
    assert view["type"] == "home"
    text = texts(view)
    # my proposals (escaped), not someone else's
    assert f"n° {mine} Zooanimation &lt;!channel&gt;" in text and "<!channel>" not in text
    assert f"n° {later} Rentrée d'hiver" in text
    assert "Exposition de livres rares" not in text
    # outlets by their names, statuses in the cards' words
    assert "Bibliothèques — Facebook (planifié), UdeM — Facebook (planifié)" in text and "udem-facebook" not in text
    # my deadlines of the next 14 days: 3 Dec and 10 Dec, not January's
    deadlines = text.split("Mes échéances des 14 prochains jours")[1].split("Mes chiffres à noter")[0]
    assert "3 déc. 2026" in deadlines and "10 déc. 2026" in deadlines and "janv." not in deadlines
    # figures to record, each with its button
    buttons = [b["accessory"] for b in view["blocks"] if b.get("accessory")]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("stats_open", str(placement_id(relais.db, published, "udem-facebook")))
    ]
    top = next(b for b in view["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in top["elements"]] == ["home_propose", "stats_open"]


def test_the_comms_team_sees_the_teams_deadlines(relais, web, standin):
    _mine, _theirs, _later, _published = data(relais)
    web.event(home_event(user="U0COMMS"))
    text = texts(standin.wait_for("views.publish")[0].args["view"])
    assert "Échéances de l'équipe" in text and "Exposition de livres rares" not in text  # its deadline passed
    assert "Zooanimation" in text and "Réouverture des bibliothèques" in text


def test_other_tabs_publish_nothing(relais, web, standin):
    web.event(home_event(tab="messages"))
    web.event(home_event())
    assert len(standin.wait_for("views.publish")) == 1
    assert len(standin.calls("views.publish")) == 1


def test_recording_from_the_home_updates_it(relais, web, standin):
    *_, published = data(relais)
    web.event(home_event())
    home = standin.wait_for("views.publish")[0].result["view"]
    pid = placement_id(relais.db, published, "udem-facebook")
    web.interact(slack.block_actions("stats_open", str(pid), view=home))
    view = standin.wait_for("views.open")[0].args["view"]
    assert json.loads(view["private_metadata"]) == {"placements": [pid], "origin": "home"}
    state = {
        f"views-{pid}": {"value": {"type": "plain_text_input", "value": "21 100"}},
        f"interactions-{pid}": {"value": {"type": "plain_text_input", "value": "640"}},
    }
    web.interact(slack.view_submission(view, state))
    assert stats_rows.latest(relais.db, pid)["views"] == 21100
    again = standin.wait_for("views.publish", count=2)[1].args["view"]
    assert not [b for b in again["blocks"] if b.get("accessory")]
    assert "Rien à noter pour l'instant" in texts(again)


def test_the_record_figures_button_opens_every_placement_awaiting_figures(relais, web, standin):
    data(relais)
    publish(relais.db, "Matinées de rédaction", date(2026, 11, 25), {"udem-linkedin": None, "bib-facebook": None})
    web.event(home_event())
    home = standin.wait_for("views.publish")[0].result["view"]
    web.interact(slack.block_actions("stats_open", "all", view=home))
    view = standin.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == "stats_record"
    assert len(json.loads(view["private_metadata"])["placements"]) == 3


def test_the_new_proposal_button_opens_the_propose_modal(relais, web, standin):
    web.event(home_event())
    home = standin.wait_for("views.publish")[0].result["view"]
    web.interact(slack.block_actions("home_propose", "new", view=home))
    view = standin.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == "propose"
