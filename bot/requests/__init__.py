"""Making avatars: /avatar create, reroll, vary, mix, photo, the Re-roll and Vary buttons, quotas and rules."""
