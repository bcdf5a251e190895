"""The console: a terminal stand-in for Slack that drives the real Bolt app and handlers.

Lines typed are slash commands sent as U_CONSOLE in the team channel, signed as Slack signs
them. The bot's Web API calls land on a local Slack stand-in (bot.console.standin) and are
printed as text: sections, fields, buttons as `[N] label`, checkboxes as `[N] ☐ label`. `:click N`
presses a button or ticks/unticks a checkbox; a modal asks for each input in turn. Piped input works the same, so scripts can drive it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from dataclasses import replace
from typing import TextIO
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest

from bot.clock import parse_instant
from bot.console.blockkit import check_ack
from bot.console.forms import fill
from bot.console.standin import SlackStandIn
from bot.runtime import jobs
from bot.runtime.app import create_app
from bot.runtime.startup import open_relais
from bot.settings import Settings, SettingsError
from bot.terminal import Screen, unmrkdwn

log = logging.getLogger("relais.console")
REFUSED = "Slack would refuse %s: %s"  # logged for each problem the stand-in finds (tests fail on it)

USER = "U_CONSOLE"
USER_NAME = "console"  # the console person's Slack name: its commands' user_name, its direct messages' heading
CHANNEL = "C_CONSOLE"
TEAM = "T0001"


class Console:
    def __init__(self, settings: Settings, stdin: TextIO, stdout: TextIO):
        self.standin = SlackStandIn().start()
        self.secret = secrets.token_hex(16)
        self.settings = replace(
            settings, api_url=self.standin.api_url, bot_token="", team_channel=settings.team_channel or CHANNEL
        )
        self.relais = open_relais(self.settings)
        self.relais.inline_delivery = True
        self.app = create_app(self.relais, signing_secret=self.secret, process_before_response=True)
        self.tr = self.relais.tr
        self.stdin, self.stdout = stdin, stdout
        self.screen = Screen(self.tr, self.write, names={USER: USER_NAME})
        self.seen = 0  # stand-in calls already shown
        self.posted: list[dict] = []  # messages posted so far, in order (`:shortcut N` acts on the Nth)

    # -- io ----------------------------------------------------------------------------
    def write(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def read(self, prompt: str = "") -> str | None:
        if prompt:
            self.stdout.write(prompt)
            self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\n")
        if not self.stdin.isatty():
            self.stdout.write(line + "\n")  # echo piped input, so a transcript reads like a session
        return line

    # -- Slack's side ------------------------------------------------------------------
    def dispatch(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> dict | None:
        timestamp = str(int(time.time()))
        signature = (
            "v0=" + hmac.new(self.secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
        )
        request = BoltRequest(
            body=body,
            headers={
                "content-type": content_type,
                "x-slack-request-timestamp": timestamp,
                "x-slack-signature": signature,
            },
        )
        response = self.app.dispatch(request)
        if response.body:
            try:
                answer = json.loads(response.body)
            except ValueError:
                return {"text": response.body}
            for problem in check_ack(answer):
                log.error(REFUSED, "the ack", problem)
            return answer
        return None

    def slash(self, line: str) -> None:
        command, _, text = line.partition(" ")
        body = urlencode(
            {
                "token": "console",
                "team_id": TEAM,
                "team_domain": "console",
                "channel_id": self.settings.team_channel,
                "channel_name": "communications",
                "user_id": USER,
                "user_name": USER_NAME,
                "command": command,
                "text": text.strip(),
                "api_app_id": "A0RELAIS",
                "is_enterprise_install": "false",
                "response_url": self.standin.response_url(),
                "trigger_id": self._trigger(),
            }
        )
        answer = self.dispatch(body)
        if answer:
            self.screen.message(answer, ephemeral=answer.get("response_type") != "in_channel")
        self.flush()

    def click(self, number: str) -> None:
        target = self.screen.buttons.get(int(number)) if number.strip().isdigit() else None
        if target is None:
            shown = ", ".join(str(n) for n in sorted(self.screen.buttons)[-10:]) or self.tr("common.none")
            self.write(self.tr("console.no_button", number=number.strip(), available=shown))
            return
        element, block_id, where, option = target
        dialog = element.get("confirm")
        if dialog and not self.confirm(dialog):
            return
        if option is None:
            action = {
                "type": element.get("type", "button"),
                "action_id": element["action_id"],
                "block_id": block_id,
                "value": element.get("value", ""),
                "text": element.get("text"),
                "action_ts": str(time.time()),
            }
        else:  # a checkbox: ticked or unticked, Slack sends every option of the element selected now
            action = {
                "type": "checkboxes",
                "action_id": element["action_id"],
                "block_id": block_id,
                "selected_options": self.screen.toggle(int(number)),
                "action_ts": str(time.time()),
            }
        state = {"values": self.screen.state_values(where)}
        payload = {
            "type": "block_actions",
            "user": {"id": USER, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM},
            "api_app_id": "A0RELAIS",
            "token": "console",
            "trigger_id": self._trigger(),
            "team": {"id": TEAM, "domain": "console"},
            "actions": [action],
            "state": state,
            "response_url": self.standin.response_url(),
        }
        if where.get("view"):
            payload["container"] = {"type": "view", "view_id": where["view"].get("id")}
            payload["view"] = {**where["view"], "state": state}
        else:
            channel, ts = where.get("channel"), where.get("ts")
            payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False}
            payload["channel"] = {"id": channel, "name": "communications"}
            payload["message"] = {
                "type": "message",
                "ts": ts,
                "text": where.get("text", ""),
                "blocks": where.get("blocks", []),
            }
        answer = self.dispatch(urlencode({"payload": json.dumps(payload)}))
        if answer:
            self.screen.message(answer, ephemeral=True)
        self.flush()

    def shortcut(self, number: str) -> None:
        """The "Proposer ce contenu" message shortcut on the Nth message posted in this session (the last
        one without N). Relais's own messages have no author: the form's owner is then you."""
        number = number.strip()
        if not self.posted or (number and (not number.isdigit() or not 1 <= int(number) <= len(self.posted))):
            self.write(self.tr.plural("console.no_message", len(self.posted), number=number or "?"))
            return
        message = self.posted[int(number) - 1 if number else -1]
        channel = message.get("channel") or self.settings.team_channel
        payload = {
            "type": "message_action",
            "callback_id": "propose_from_message",
            "team": {"id": TEAM, "domain": "console"},
            "user": {"id": USER, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM},
            "channel": {"id": channel, "name": "communications"},
            "trigger_id": self._trigger(),
            "response_url": self.standin.response_url(),
            "message_ts": message.get("ts"),
            "message": {"type": "message", "ts": message.get("ts"), "text": message.get("text") or ""},
        }
        self.dispatch(urlencode({"payload": json.dumps(payload)}))
        self.flush()

    def confirm(self, dialog: dict) -> bool:
        """A button's confirmation dialog, as Slack shows it before sending anything."""

        title = dialog.get("title", {}).get("text", "")
        yes = dialog.get("confirm", {}).get("text", self.tr("common.yes"))
        no = dialog.get("deny", {}).get("text", self.tr("common.no"))
        self.write(f"── {title} ──\n{unmrkdwn(dialog.get('text', {}).get('text', ''), self.screen.names)}")
        answer = self.read(self.tr("console.confirm", yes=yes, no=no))
        return (answer or "").strip().lower() in ("1", "o", "oui", "y", "yes", yes.strip().lower())

    def home(self) -> None:
        event = {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0RELAIS",
            "event_id": f"Ev{uuid.uuid4().hex[:8]}",
            "event_time": int(time.time()),
            "event": {
                "type": "app_home_opened",
                "user": USER,
                "channel": "D_CONSOLE",
                "tab": "home",
                "event_ts": str(time.time()),
            },
        }
        self.dispatch(json.dumps(event), "application/json")
        self.flush()

    def tick(self, at: str) -> None:
        now = self.relais.clock.now()
        if at.strip():
            try:
                now = parse_instant(at, self.settings.tz)
            except ValueError:
                self.write(SettingsError(":tick", "settings.instant", at.strip()).line(self.settings.language))
                return
        with self.relais.clock.frozen(now):  # the whole pass at that instant: planning and messages
            jobs.tick(self.relais, now)
        self.flush()

    def digest(self) -> None:
        preview = self.relais.contributions.previews.get("digest")
        if preview is None:
            self.write(self.tr("console.not_available"))
            return
        for message in preview(self.relais, self.relais.clock.now()):
            self.screen.message(message)

    def _trigger(self) -> str:
        return f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(8)}"

    # -- what the bot did --------------------------------------------------------------
    def flush(self) -> None:
        """Show every Web API call made since last time; modals become prompts."""
        while True:
            calls = self.standin.calls()
            if self.seen >= len(calls):
                return
            call = calls[self.seen]
            self.seen += 1
            for problem in call.violations:
                log.error(REFUSED, call.method, problem)
            if call.method in ("views.open", "views.push"):
                assert call.result is not None  # the stand-in records every call with its answer
                self.modal(call.result["view"])
            else:
                if call.method == "chat.postMessage":
                    self.posted.append({**call.args, "ts": (call.result or {}).get("ts")})
                self.screen.call(call)

    def modal(self, view: dict) -> None:
        state, faulty = None, None
        while True:
            state = fill(view, self.read, self.write, self.tr, previous=state, only=faulty)
            if state is None:
                self.write(self.tr("console.modal_cancelled"))
                return
            view = {**view, "state": {"values": state}}
            payload = {
                "type": "view_submission",
                "team": {"id": TEAM, "domain": "console"},
                "user": {"id": USER, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM},
                "api_app_id": "A0RELAIS",
                "token": "console",
                "trigger_id": self._trigger(),
                "view": view,
                "response_urls": [],
            }
            answer = self.dispatch(urlencode({"payload": json.dumps(payload)})) or {}
            if answer.get("response_action") == "errors":
                labels = {b.get("block_id"): b.get("label", {}).get("text", "") for b in view.get("blocks", [])}
                for block_id, error in answer.get("errors", {}).items():
                    if "\n" in error:  # several problems, one a line: under the label
                        error = "".join("\n    " + line for line in error.splitlines())
                    said = self.tr("console.field_error", label=labels.get(block_id, block_id), error=error)
                    self.write("\n".join(line.rstrip() for line in said.splitlines()))
                faulty = set(answer.get("errors", {})) & set(labels) or None  # ask again only what was wrong
                continue
            if answer.get("response_action") in ("update", "push"):
                self.flush()
                view, state, faulty = answer["view"], None, None
                continue
            self.flush()
            return

    # -- loop --------------------------------------------------------------------------
    def run(self) -> int:
        self.write(self.tr("console.banner", user=f"@{USER_NAME} ({USER})", channel=self.settings.team_channel))
        try:
            while True:
                line = self.read("> " if self.stdin.isatty() else "")
                if line is None:
                    break
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("/"):
                    self.slash(line)
                    continue
                word, _, rest = line.partition(" ")
                if word in (":quit", ":q", ":exit"):
                    break
                handler = {
                    ":help": lambda _: self.write(self.tr("console.help")),
                    ":click": self.click,
                    ":shortcut": self.shortcut,
                    ":tick": self.tick,
                    ":home": lambda _: self.home(),
                    ":digest": lambda _: self.digest(),
                }.get(word)
                if handler is None:
                    self.write(self.tr("console.unknown", text=line))
                else:
                    handler(rest)
        finally:
            self.write(self.tr("console.bye"))
            self.standin.stop()
        return 0


def run(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    return Console(settings, stdin, stdout).run()
