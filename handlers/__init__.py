"""Slack listeners, one module per surface, each with `register(app)`, listed by the feature that owns it
(`bot/<feature>/feature.py`); `errors` is registered by the app factory for every surface.

Handlers are thin: parse the payload, call a plain function in bot/ or storage/, render Block Kit, reply.
"""
