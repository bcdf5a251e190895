"""What the digest feature contributes: the weekly digest (planned every tick, sent at DIGEST_AT), its
continuations and chart, `python -m bot digest`, and the console's `:digest` preview."""

from __future__ import annotations

from bot.digest import cli, jobs
from bot.feature import Command, Feature

FEATURE = Feature(
    name="digest",
    renderers={"digest": jobs.render_digest, "digest_part": jobs.render_part, "digest_chart": jobs.render_chart},
    planners=(jobs.plan_digest,),
    commands=(Command("digest", cli.run_digest, cli.configure),),
    previews={"digest": jobs.preview},
)
