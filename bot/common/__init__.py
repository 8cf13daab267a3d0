"""What every part of the bot works with: its services, server settings, permissions, the reply guard."""
