"""Proposals: dates, the rules of each outlet, the workflow, the card and the form."""
