"""English catalog (BOT_LANGUAGE=en). Same keys and parameters as fr.py: a test checks it.

Each surface has its own section; add your messages to yours.
"""

MESSAGES = {
    # --- common ---
    "common.internal_error": ":warning: Something unexpected went wrong; nothing was changed. Please try again in a moment.",
    "common.not_comms": ":no_entry: Only members of the communications team can {action}.",
    "common.unknown_subcommand": "I don't know “{text}” for {command}. Here is what I can do:",
    "common.cancel": "Cancel",
    "common.submit": "Save",
    "common.close": "Close",
    "common.yes": "Yes",
    "common.no": "No",
    "common.and_more": "… and {count} more",
    "common.none": "none",
    # --- settings ---
    "settings.line": "{variable}: {expected}{got}",
    "settings.got": " (got “{value}”)",
    "settings.port": "expects a whole number from 1 to 65535",
    "settings.timezone": "expects an IANA time zone such as America/Montreal",
    "settings.language": "expects fr or en",
    "settings.bot_token": "expects a bot token starting with xoxb-",
    "settings.app_token": "expects an app-level token starting with xapp-",
    "settings.url": "expects an http:// or https:// URL",
    "settings.channel": "expects a Slack channel ID such as C0123ABCD (not a #name)",
    "settings.users": "expects Slack user IDs separated by commas, such as U0123,U0456",
    "settings.digest_at": "expects a weekday and a time, such as “monday 09:00”",
    "settings.checkpoints": "expects increasing whole numbers of days separated by commas, such as 2,7,30",
    "settings.instant": "expects an ISO 8601 date and time, such as 2026-12-01T09:00",
    "settings.feed_kind": "expects URL or kind=URL, kind being closure, exams, term-start, reading-week or other",
    "settings.required_bot_token": "is required in this mode: a bot token starting with xoxb-",
    "settings.required_channel": "is required in this mode: the team channel's ID, such as C0123ABCD",
    "settings.required_secret": "is required in HTTP mode: the app's signing secret",
    "settings.required_app_token": "is required in Socket Mode: an app-level token starting with xapp-",
    "settings.file_missing": "expects an existing file",
    "cli.unexpected_mode": "Unknown mode “{mode}”. Modes: console, socket, serve, tick, digest, export, import, calendar, backup, check.",
    # --- configuration files ---
    "config.line": "{location}: {problem}",
    "config.file_missing": "file not found",
    "config.toml": "unreadable TOML",
    "config.no_outlets": "expects at least one [[outlet]] table",
    "config.duplicate": "already used by an earlier entry",
    "config.missing": "required",
    "config.type_text": "expects a text",
    "config.type_int": "expects a whole number",
    "config.type_list": "expects a list",
    "config.type_date": "expects a date, such as 2026-12-24",
    "config.slug": "expects lowercase letters, digits and dashes, such as udem-facebook",
    "config.owner": "expects \"university\" or \"library\"",
    "config.range": "expects a whole number from {low} to {high}",
    "config.strings": "expects a list of non-empty texts",
    "config.kind": "expects closure, exams, term-start, reading-week or other",
    "config.category": "expects cyclic, one-off or collections",
    "config.end_before_start": "ends before it starts",
    "config.unknown_outlet": "unknown outlet “{slug}” (see OUTLETS_FILE)",
    # --- check (python -m bot check) ---
    "check.settings_ok": "✓ Settings are valid (language {language}, time zone {timezone}, database {database}).",
    "check.database_ok": "✓ SQLite database ready: {path} (schema current, integrity ok).",
    "check.no_credentials": "• No Slack token: the console is the default mode. See the README to create the Slack app.",
    "check.auth_ok": "✓ Token valid: bot @{user} in workspace {team}.",
    "check.auth_failed": "✗ Slack refuses the token ({error}): check SLACK_BOT_TOKEN (Installed App Settings → Bot User OAuth Token).",
    "check.unreachable": "✗ Slack cannot be reached at {url} ({error}).",
    "check.scopes_missing": "✗ Missing scopes: {scopes}. Add them (app manifest), then reinstall the app.",
    "check.scopes_ok": "✓ Scopes present.",
    "check.channel_ok": "✓ The bot is a member of the team channel ({channel}).",
    "check.channel_not_member": "✗ The bot is not a member of channel {channel}: type /invite @Relais in that channel.",
    "check.channel_not_found": "✗ Channel {channel} not found ({error}): check TEAM_CHANNEL (the channel's ID, not its name).",
    "check.no_team_channel": "✗ TEAM_CHANNEL is empty: set it to the team channel's ID.",
    "check.failed_rows": "✗ {count} message(s) could not be sent after several attempts:",
    "check.failed_row": "   - #{id} {kind} for {target}, due {due}: {error}",
    "check.all_good": "All is well.",
    "check.problems": "{count} problem(s) to fix.",
    # --- backup ---
    "backup.done": "Backup written to {path} ({pages} pages, integrity ok).",
    "backup.failed": "Backup failed: {error}",
    # --- help ---
    "help.propose": (
        "*/propose — offer content to the university's channels*\n"
        "• `/propose` opens the form.\n"
        "• `/propose TITLE | DATE | OUTLET[, OUTLET…] [| CATEGORY]` in one line, for example\n"
        "   `/propose Pet therapy for exams | December 10 | udem-facebook, udem-instagram-story | cyclic`\n"
        "   DATE: `2026-12-10`, “December 10”, “next friday”, “tomorrow”.\n"
        "   CATEGORY: `cyclic`, `one-off`, `collections` (rare books and special collections).\n"
        "• `/propose list`: open proposals, soonest first.\n"
        "• `/propose show N`: proposal #N and its history.\n"
        "• `/propose outlets`: the outlets and their rules (lead time, frequency, content to supply, audiences).\n"
        "• `/propose help`: this help.\n"
        "Deadlines are counted in business days (weekends, Québec holidays and university closures skipped)."
    ),
    "help.stats": (
        "*/stats — record results after publication*\n"
        "• `/stats` opens the form for publications awaiting figures.\n"
        "• `/stats N OUTLET views=19279 interactions=996 [time=2:30]` in one line "
        "(French keys `vues=`, `temps=` too; “19 279” and “19,279” are accepted).\n"
        "• `/stats report [week|month|term|YYYY-MM|all]`: totals per outlet and category, top posts, "
        "reach of the university's accounts against the library's own.\n"
        "• `/stats export [period]`: a CSV file in your direct messages.\n"
        "• `/stats help`: this help."
    ),
    # --- console ---
    "console.banner": (
        "Relais — console (no Slack token: this stands in for Slack).\n"
        "Type a command as in Slack (/propose help, /stats help), or :help. You are {user} in {channel}."
    ),
    "console.help": (
        "Console commands:\n"
        "  /propose …, /stats …   a slash command, as in Slack\n"
        "  :click N               press button [N]\n"
        "  :tick [YYYY-MM-DDTHH:MM]  one scheduler pass (now, or as if at that time)\n"
        "  :digest                this week's digest\n"
        "  :home                  the app's Home tab\n"
        "  :help                  this help\n"
        "  :quit                  leave"
    ),
    "console.unknown": "I don't understand “{text}”. Type :help.",
    "console.no_button": "No button [{number}]. Buttons shown: {available}.",
    "console.ephemeral": "(only visible to you)",
    "console.in_thread": "↳ in thread",
    "console.dm": "direct message to {user}",
    "console.modal": "── Form: {title} ── (empty line for an optional field, :cancel to give up)",
    "console.optional": " (optional)",
    "console.pick": "number(s) separated by commas",
    "console.date_hint": "YYYY-MM-DD",
    "console.modal_cancelled": "Form cancelled.",
    "console.field_error": "  ✗ {label}: {error}",
    "console.updated": "(message updated)",
    "console.file": "📎 file “{name}” sent ({size} bytes)",
    "console.bye": "Bye!",
    "console.not_available": "This command is not available yet.",
}
