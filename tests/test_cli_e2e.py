"""`python -m bot` as an operator runs it: the console, bad settings, check, backup."""

import re

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


def test_the_consoles_direct_messages_are_headed_with_the_persons_name(cli):
    script = "/propose Test | 2026-12-20 | bib-facebook\n:click 1\n2026-12-01\n\n:tick 2026-12-03T09:00\n:quit\n"
    result = cli("console", stdin=script, RELAIS_NOW="2026-12-01T10:00")
    assert result.returncode == 0, result.stderr
    heading, greeting = result.stdout.split("✉ message direct à ")[1].splitlines()[:2]
    assert heading == "@console" and "Il est temps de noter les résultats" in greeting
    assert "Vous êtes @console (U_CONSOLE) dans" in result.stdout  # the same name in the banner
    assert "@_CONSOLE" not in result.stdout


# -- the command line in the team's language (issue 16 item 7) -----------------------------------
COMMANDS = ("console", "socket", "serve", "tick", "backup", "check", "outbox", "export", "import", "report")
COMMANDS += ("calendar", "digest")
# argparse's own English, and words that give an English sentence away (commands, options and
# metavars such as --dry-run, $PORT or /healthz are not sentences)
ENGLISH = re.compile(
    r"usage:|options:|positional arguments|show this help|error:|required|invalid choice|"
    r"\b(the|and|with|your|this|is|are|not|only|from|which|default|file|write|print|time|send)\b",
    re.IGNORECASE,
)


def english_in(text):
    return ENGLISH.findall(re.sub(r"--?[a-z-]+|\$\w+|/\S+", "", text))


def test_the_help_of_every_command_is_in_french(cli):
    top = cli("--help")
    assert top.returncode == 0 and top.stdout.startswith("utilisation : python -m bot [-h] MODE")
    assert "modes et commandes\u00a0:" in top.stdout and "afficher cette aide et quitter" in top.stdout
    for name in COMMANDS:  # every command listed with its help
        assert re.search(rf"^    {name} +\S", top.stdout, re.M), name
    assert "cli." not in top.stdout and english_in(top.stdout) == [], top.stdout
    for name in (*COMMANDS, "outbox retry"):
        shown = cli(*name.split(), "--help")
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith(f"utilisation : python -m bot {name} [-h]"), shown.stdout
        assert "options\u00a0:" in shown.stdout and "afficher cette aide et quitter" in shown.stdout
        assert "cli." not in shown.stdout and english_in(shown.stdout) == [], (name, shown.stdout)
    assert "--at AAAA-MM-JJTHH:MM" in cli("digest", "--help").stdout
    assert "arguments\u00a0:\n  FICHIER" in cli("import", "--help").stdout


def test_argparse_refusals_are_in_french(cli):
    missing = cli("report")
    assert missing.returncode == 2 and "python -m bot report : erreur : il manque : -o/--output" in missing.stderr
    assert missing.stderr.startswith("utilisation : python -m bot report")
    wrong = cli("calendar", "actualiser")
    assert wrong.returncode == 2
    assert "erreur : argument ACTION : choix invalide : « actualiser » (choix possibles : 'refresh', 'export')" in (
        wrong.stderr
    )
    extra = cli("tick", "--tot")
    assert extra.returncode == 2 and "arguments non reconnus : --tot" in extra.stderr
    empty = cli("tick", "--at")
    assert "argument --at : attend une valeur" in empty.stderr
    for result in (missing, wrong, extra, empty):
        assert english_in(result.stderr) == [], result.stderr


def test_the_command_line_in_english(cli):
    top = cli("--help", BOT_LANGUAGE="en")
    assert top.stdout.startswith("usage: python -m bot [-h] MODE") and "modes and commands:" in top.stdout
    assert "the console: a stand-in for Slack in the terminal" in top.stdout
    shown = cli("export", "--help", BOT_LANGUAGE="en").stdout
    assert "--since YYYY-MM-DD" in shown and "-o FILE, --output FILE" in shown and "show this help message" in shown
    missing = cli("report", BOT_LANGUAGE="en")
    assert "python -m bot report: error: the following arguments are required: -o/--output" in missing.stderr


def test_the_help_follows_bot_language_in_dot_env(cli, tmp_path):
    (tmp_path / ".env").write_text("BOT_LANGUAGE=en\n")
    assert cli("--help").stdout.startswith("usage: python -m bot")  # the environment has no BOT_LANGUAGE
