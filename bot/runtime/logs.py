"""Logging for every run mode: one format on standard error, libraries' chatter kept to warnings."""

from __future__ import annotations

import logging
import sys

NOISY = ("slack_bolt", "slack_sdk", "urllib3", "waitress.queue")


def configure_logging(level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
