"""The baseline: a bare Bolt app that only acknowledges, served by the same server (waitress).

python -m bench.bare_app PORT SIGNING_SECRET
"""

from __future__ import annotations

import re
import sys

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult


def build(secret: str) -> App:
    app = App(
        signing_secret=secret,
        authorize=lambda enterprise_id, team_id, user_id: AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bare"
        ),
    )

    @app.command("/propose")
    @app.command("/stats")
    def ack_command(ack):
        ack()

    @app.action(re.compile(".*"))
    def ack_action(ack):
        ack()

    return app


def main() -> None:
    port, secret = int(sys.argv[1]), sys.argv[2]
    handler = SlackRequestHandler(build(secret))

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        return handler(environ, start_response)

    waitress.serve(wsgi, host="127.0.0.1", port=port, threads=8, ident="bare")


if __name__ == "__main__":
    main()
