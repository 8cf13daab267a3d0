"""Answering interactions: deferring in time, replacing the placeholder, and the one error edge."""
