"""`python -m bot` as an operator runs it: the console, bad settings, check, backup."""

import pytest

pytestmark = pytest.mark.e2e


def test_console_answers_propose_help_and_quits_when_piped(cli):
    result = cli(stdin="/propose help\n:quit\n", SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="")
    assert result.returncode == 0, result.stderr
    assert "console" in result.stdout
    assert "/propose TITRE | DATE | CANAL" in result.stdout
    assert "(visible par vous seulement)" in result.stdout
    assert "Traceback" not in result.stderr


def test_console_is_the_default_without_credentials(cli):
    result = cli(stdin=":help\n", SLACK_BOT_TOKEN="")
    assert result.returncode == 0
    assert ":click N" in result.stdout
    assert result.stdout.rstrip().endswith("À bientôt !")


def test_console_in_english(cli):
    result = cli("console", stdin="/stats help\n:bogus\n:click 9\n:quit\n", BOT_LANGUAGE="en")
    assert "record results after publication" in result.stdout
    assert "I don't understand “:bogus”" in result.stdout
    assert "No button [9]" in result.stdout


@pytest.mark.parametrize(
    "variable, value, expected",
    [
        ("PORT", "abc", "PORT : attend un nombre entier de 1 à 65535 (reçu « abc »)"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE : attend un fuseau horaire IANA"),
        ("BOT_LANGUAGE", "de", "BOT_LANGUAGE : attend fr ou en"),
        ("SLACK_BOT_TOKEN", "xoxp-123", "SLACK_BOT_TOKEN : attend un jeton de bot commençant par xoxb-"),
    ],
)
def test_a_bad_setting_stops_the_start_with_one_line(cli, variable, value, expected):
    for args in (("serve",), ()):
        result = cli(*args, **{variable: value})
        assert result.returncode == 2
        assert result.stderr.strip().startswith(expected)
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def test_serve_without_signing_secret_is_refused(cli):
    result = cli("serve", SLACK_SIGNING_SECRET="")
    assert result.returncode == 2
    assert result.stderr.startswith("SLACK_SIGNING_SECRET")


def test_bot_token_without_app_token_says_what_socket_mode_needs(cli):
    result = cli(SLACK_APP_TOKEN="")
    assert result.returncode == 2
    assert result.stderr.startswith("SLACK_APP_TOKEN")


def test_an_unknown_mode_is_refused(cli):
    result = cli("fly")
    assert result.returncode == 2
    assert "fly" in result.stderr


def test_check_all_good(cli, standin):
    result = cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ Jeton valide : bot @relais" in result.stdout
    assert "✓ Le bot est membre du canal de l'équipe (C0COMMS)" in result.stdout
    assert [c.method for c in standin.calls()][:1] == ["auth.test"]


def test_check_explains_a_refused_token(cli, standin):
    standin.valid_tokens = {"xoxb-the-right-one"}
    result = cli("check")
    assert result.returncode == 1
    assert "Slack refuse le jeton (invalid_auth)" in result.stdout


def test_check_explains_missing_scopes_and_channel_membership(cli, standin):
    standin.scopes = "commands,chat:write"
    standin.members_of_team_channel = False
    result = cli("check", BOT_LANGUAGE="en")
    assert result.returncode == 1
    assert "Missing scopes: im:write, users:read, files:write, channels:read" in result.stdout
    assert "not a member of channel C0COMMS: type /invite @Relais" in result.stdout


def test_check_without_credentials_points_to_the_console(cli):
    result = cli("check", SLACK_BOT_TOKEN="")
    assert result.returncode == 0
    assert "la console est le mode par défaut" in result.stdout


def test_backup_copies_the_database(cli, tmp_path):
    assert cli("check", SLACK_BOT_TOKEN="").returncode == 0  # creates the database
    result = cli("backup", str(tmp_path / "saved" / "copy.db"))
    assert result.returncode == 0, result.stderr
    assert "intégrité ok" in result.stdout
    assert (tmp_path / "saved" / "copy.db").stat().st_size > 0


def test_console_asks_before_a_confirmed_button_and_reasks_only_faulty_fields(cli):
    script = (
        "/propose Expo | 2027-02-10 | bib-facebook\n"
        ":click 4\n2\n"  # cancel ([3] is "Modifier"), then "Non": nothing happens
        "/propose list\n"
        "/propose\nAffiche\n\n\n\n\n2026-01-01\n7\n\n\n"  # the form (no cyclic content), with a past date
        "\n\n\n\n\n\n"  # the five outlets' texts (max_chars), the owner (me)
        "2027-02-11\n"  # only the date is asked again
        "/propose list\n:quit\n"
    )
    result = cli(stdin=script, RELAIS_NOW="2026-11-24T10:00", SLACK_BOT_TOKEN="")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "── Annuler la proposition ? ──" in out
    assert "n° 1 — Expo" in out.split("/propose list", 2)[1]  # still open after "Non"
    retry = out.split("✗ Date de publication souhaitée", 1)[1]
    assert retry.count("Titre") == 0 and "Date de publication souhaitée" in retry
    assert "Proposition n° 2 enregistrée" in out


def test_console_tick_at_an_instant_builds_its_messages_at_that_instant(cli):
    # The first pass (1 Dec 2026) starts cycle planning; at 23 February 2027 the winter term (6 January) has
    # long started: its prompt, planned late, is stale at that instant and must not go out (issue 15, item 7).
    result = cli(
        stdin=":tick 2026-12-01T09:00\n:tick 2027-02-23T09:00\n:quit\n", SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET=""
    )
    assert result.returncode == 0, result.stderr
    assert "Rentrée d'hiver 2027" not in result.stdout
    assert "Publication suggérée : mercredi 30 décembre 2026" not in result.stdout
    assert "Traceback" not in result.stderr
