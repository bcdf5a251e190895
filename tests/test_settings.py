"""Settings: every variable read, every wrong value refused with the variable's name."""

import pytest

from bot.settings import SettingsError, load_settings, require


def settings(**env):
    return load_settings(env, env_file="/nonexistent/.env")


def test_defaults_follow_the_design():
    s = settings()
    assert s.port == 3000
    assert str(s.database_path) == "data/relais.db"
    assert s.timezone == "America/Montreal"
    assert s.language == "fr"
    assert s.api_url == "https://slack.com/api/"
    assert s.digest_weekday == 0 and s.digest_time == (9, 0)
    assert s.stats_checkpoints == (2, 7, 30)
    assert (s.pace_seconds, s.slack_timeout, s.ping_interval) == (1.0, 10.0, 10.0)
    assert s.calendar_feed_window == (12, 24)  # a year back, two years ahead
    assert s.cpu_cores == "one"
    assert not s.has_slack_credentials


@pytest.mark.parametrize(
    "variable, value",
    [
        ("PORT", "abc"),
        ("PORT", "0"),
        ("PORT", "70000"),
        ("TIMEZONE", "Mars/Olympus"),
        ("BOT_LANGUAGE", "de"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token"),
        ("SLACK_API_URL", "slack.com/api"),
        ("TEAM_CHANNEL", "#communications"),
        ("COMMS_TEAM", "juliette"),
        ("DIGEST_AT", "someday 9h"),
        ("DIGEST_AT", "monday 25:00"),
        ("STATS_CHECKPOINTS", "7,2"),
        ("STATS_CHECKPOINTS", "two"),
        ("CALENDAR_ICS_URLS", "holidays=https://example.org/a.ics"),
        ("RELAIS_NOW", "yesterday"),
        ("SLACK_PACE_SECONDS", "-1"),
        ("SLACK_PACE_SECONDS", "nan"),
        ("SLACK_TIMEOUT_SECONDS", "0"),
        ("SLACK_TIMEOUT_SECONDS", "ten"),
        ("SLACK_PING_INTERVAL_SECONDS", "0"),
        ("CALENDAR_FEED_WINDOW", "12"),
        ("CALENDAR_FEED_WINDOW", "-1,24"),
        ("CALENDAR_FEED_WINDOW", "12,121"),
        ("CALENDAR_FEED_WINDOW", "un an,deux ans"),
        ("CPU_CORES", "2"),
    ],
)
def test_a_wrong_value_names_its_variable(variable, value):
    with pytest.raises(SettingsError) as caught:
        settings(**{variable: value})
    assert caught.value.variable == variable
    line = caught.value.line("fr")
    assert line.startswith(variable + " : attend ")
    assert "\n" not in line
    assert caught.value.line("en").startswith(variable + ": expects ")


def test_a_secret_is_never_printed_whole():
    with pytest.raises(SettingsError) as caught:
        settings(SLACK_BOT_TOKEN="xoxp-1234567890-secret")
    assert "secret" not in caught.value.line()


def test_values_are_parsed():
    s = settings(
        PORT="8080",
        COMMS_TEAM="U01, U02",
        DIGEST_AT="vendredi 16:30",
        STATS_CHECKPOINTS="1,3",
        CALENDAR_ICS_URLS="exams=https://cal.example/exams.ics, https://cal.example/all.ics",
        SLACK_API_URL="http://127.0.0.1:9999/api",
        BOT_LANGUAGE="EN",
        SLACK_PACE_SECONDS="0",
        SLACK_TIMEOUT_SECONDS="2.5",
        SLACK_PING_INTERVAL_SECONDS="1",
        CALENDAR_FEED_WINDOW=" 6 , 0 ",
        CPU_CORES="All",
    )
    assert s.port == 8080
    assert s.comms_team == ("U01", "U02")
    assert (s.digest_weekday, s.digest_time) == (4, (16, 30))
    assert s.stats_checkpoints == (1, 3)
    assert [(f.kind, f.url) for f in s.calendar_feeds] == [
        ("exams", "https://cal.example/exams.ics"),
        (None, "https://cal.example/all.ics"),
    ]
    assert s.api_url == "http://127.0.0.1:9999/api/"
    assert s.language == "en"
    assert (s.pace_seconds, s.slack_timeout, s.ping_interval) == (0.0, 2.5, 1.0)
    assert s.calendar_feed_window == (6, 0)
    assert s.cpu_cores == "all"


def test_dotenv_fills_gaps_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nTEAM_CHANNEL=C0FROMFILE\n")
    s = load_settings({"PORT": "5000"}, env_file=env_file)
    assert s.port == 5000
    assert s.team_channel == "C0FROMFILE"


def test_comms_team_empty_means_everyone():
    assert settings().is_comms("U0ANYONE")
    team = settings(COMMS_TEAM="U0JULIETTE")
    assert team.is_comms("U0JULIETTE") and not team.is_comms("U0OTHER")


@pytest.mark.parametrize(
    "mode, env, variable",
    [
        ("http", {}, "SLACK_BOT_TOKEN"),
        ("http", {"SLACK_BOT_TOKEN": "xoxb-1"}, "TEAM_CHANNEL"),
        ("http", {"SLACK_BOT_TOKEN": "xoxb-1", "TEAM_CHANNEL": "C01"}, "SLACK_SIGNING_SECRET"),
        ("socket", {"SLACK_BOT_TOKEN": "xoxb-1", "TEAM_CHANNEL": "C01"}, "SLACK_APP_TOKEN"),
    ],
)
def test_each_mode_says_what_it_cannot_do_without(mode, env, variable):
    with pytest.raises(SettingsError) as caught:
        require(settings(**env), mode)
    assert caught.value.variable == variable


@pytest.mark.parametrize(
    "value",
    [
        "ftp://alice:s3cr3t-pass@cal.example/private-key-123/basic.ics",
        "alice:s3cr3t-pass@cal.example/private-key-123/basic.ics",
        "exams=htps://alice:s3cr3t-pass@cal.example/private-key-123/basic.ics",
    ],
)
def test_a_refused_feed_address_is_never_echoed_whole(value):
    with pytest.raises(SettingsError) as caught:
        settings(CALENDAR_ICS_URLS=value)
    line = caught.value.line()
    assert "CALENDAR_ICS_URLS" in line and "cal.example/…" in line
    assert "s3cr3t" not in line and "alice" not in line and "private-key" not in line


def test_feed_addresses_in_the_terminal_and_logs_hide_path_query_and_password():
    from bot.calendar.feeds import redacted
    from bot.text import redact_url

    google = "https://calendar.google.com/calendar/ical/a%40umontreal.ca/private-0123abcd/basic.ics"
    assert redact_url(google) == "https://calendar.google.com/…"
    assert redact_url("https://bob:pw@cal.example:8443/x.ics?key=1") == "https://cal.example:8443/…"
    assert redact_url("https://cal.example") == "https://cal.example"
    assert redacted(google).startswith("https://calendar.google.com/… (") and "private" not in redacted(google)
