"""Reminders: deadline heads-ups and notices in the card's thread, daily stats messages."""
