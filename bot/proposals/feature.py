"""What the proposals feature contributes: the card and its updates, the daily card refresh, `/propose`."""

from __future__ import annotations

from bot.feature import Feature
from bot.proposals.card import refresh_cards, render_card, render_card_update, render_edit_note
from bot.proposals.lifecycle import mark_overdue, render_not_published
from bot.proposals.package import PACKAGE, render_package
from bot.proposals.replan import DEADLINE_MOVED, render_deadline_moved
from bot.proposals.workflow import NOT_PUBLISHED_NOTE
from handlers import propose

FEATURE = Feature(
    name="proposals",
    renderers={
        "card": render_card,
        "card_update": render_card_update,
        "edit_note": render_edit_note,
        DEADLINE_MOVED: render_deadline_moved,
        NOT_PUBLISHED_NOTE: render_not_published,
        PACKAGE: render_package,
    },
    planners=(mark_overdue, refresh_cards),
    listeners=(propose.register,),
)
