"""The last line of defence: an unexpected error is logged with its traceback and the user gets
a short ephemeral apology in their language; nothing half-done is left (writes are transactions)."""

from __future__ import annotations

import logging

from slack_bolt import App

from handlers.common import ephemeral

log = logging.getLogger("relais.handlers")


def register(app: App) -> None:
    app.error(on_error)


def on_error(error, body, context, respond, logger):
    log.exception("unhandled error in a listener", exc_info=error)
    relais = context.get("relais")
    if relais is None:
        return
    try:
        if body.get("response_url") or body.get("response_urls"):
            respond(**ephemeral(relais.tr("common.internal_error")), replace_original=False)
    except Exception:
        log.warning("could not tell the user about the error", exc_info=True)
