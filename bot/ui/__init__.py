"""The Discord-facing views' base: persistent avatar buttons, avatar cards and embeds, contact sheets."""
