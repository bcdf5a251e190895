"""The console's screen: Block Kit checkboxes as numbered toggles, and what a click on one sends."""

from types import SimpleNamespace

from bot.i18n import translator
from bot.terminal import Screen


def boxes(block_id, items, ticked=()):
    options = [{"text": {"type": "plain_text", "text": t}, "value": f"7:{i}"} for i, t in items]
    element = {"type": "checkboxes", "action_id": "package_checklist", "options": options}
    if ticked:
        element["initial_options"] = [o for o in options if o["value"] in ticked]
    return {"type": "actions", "block_id": block_id, "elements": [element]}


def post(screen, blocks, ts="1.000001", method="chat.postMessage"):
    args = {"channel": "C1", "ts": ts, "text": "", "blocks": blocks}
    screen.call(SimpleNamespace(method=method, args=args, result={"channel": "C1", "ts": ts}))


def test_checkboxes_are_numbered_with_buttons_and_a_click_sends_what_is_ticked_now():
    shown = []
    screen = Screen(translator("fr"), shown.append)
    button = {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}, "value": "1"}
    blocks = [
        {"type": "actions", "block_id": "b", "elements": [button]},
        boxes("package-7-0-2", [(0, "Image"), (1, "Texte")], ticked={"7:1"}),
        boxes("package-7-2-3", [(2, "Lien")]),
    ]
    post(screen, blocks)
    assert shown[0].splitlines() == ["[1] Go", "[2] ☐ Image", "[3] ☑ Texte", "[4] ☐ Lien"]
    assert screen.buttons[1][3] is None and screen.buttons[2][3]["value"] == "7:0"

    selected = screen.toggle(2)
    assert [o["value"] for o in selected] == ["7:0", "7:1"]  # the element's options ticked now, in order
    assert shown[-1] == "[2] ☑ Image"
    selected = screen.toggle(3)
    assert [o["value"] for o in selected] == ["7:0"]
    screen.toggle(4)
    values = screen.state_values(screen.buttons[4][2])
    assert {b: [o["value"] for o in v["package_checklist"]["selected_options"]] for b, v in values.items()} == {
        "package-7-0-2": ["7:0"],
        "package-7-2-3": ["7:2"],
    }
    assert values["package-7-2-3"]["package_checklist"]["type"] == "checkboxes"

    # the message updated: its boxes are what it now says, as in Slack
    post(screen, [boxes("package-7-0-2", [(0, "Image"), (1, "Texte")])], method="chat.update")
    assert shown[-2].splitlines()[-2:] == ["[5] ☐ Image", "[6] ☐ Texte"]
    assert [o["value"] for o in screen.toggle(6)] == ["7:1"]


def test_a_message_without_checkboxes_sends_no_state():
    screen = Screen(translator("en"), lambda _: None)
    post(screen, [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}])
    assert screen.state_values({"channel": "C1", "ts": "1.000001", "blocks": []}) == {}


def test_a_direct_message_is_headed_with_the_persons_name():
    shown = []
    screen = Screen(translator("fr"), shown.append, names={"U_CONSOLE": "console"})
    for user in ("U_CONSOLE", "U0AUTRE"):
        opened = {"ok": True, "channel": {"id": "D" + user[1:]}}
        screen.call(SimpleNamespace(method="conversations.open", args={"users": user}, result=opened))
    for channel in ("D_CONSOLE", "D0AUTRE", "D0NEVER"):
        args = {"channel": channel, "text": "Bonjour", "blocks": []}
        screen.call(SimpleNamespace(method="chat.postMessage", args=args, result={"channel": channel, "ts": "1.1"}))
    headings = [message.splitlines()[0] for message in shown if message]
    assert headings == ["✉ message direct à @console", "✉ message direct à @U0AUTRE", "✉ message direct à D0NEVER"]


def test_mentions_show_the_persons_name_when_the_screen_has_it_as_slack_does():
    shown = []
    screen = Screen(translator("fr"), shown.append, names={"U_CONSOLE": "console"})
    text = "Reporté par <@U_CONSOLE> ; responsable <@U0AUTRE> &amp; <#C1|equipe-comms>"
    post(screen, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
    post(screen, [{"type": "context", "elements": [{"type": "mrkdwn", "text": "par <@U_CONSOLE>"}]}], ts="1.2")
    screen_text = "\n".join(shown)
    assert "Reporté par @console ; responsable @U0AUTRE & #equipe-comms" in screen_text
    assert "  par @console" in screen_text and "U_CONSOLE" not in screen_text
