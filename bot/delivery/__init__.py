"""Finished results to their owners and held ones to the moderators, with progress while they wait."""
