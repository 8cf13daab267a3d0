"""`python -m avatarbot` is the `avatarbot` command (the CLI starts workers this way)."""

from avatarbot.cli import main

raise SystemExit(main())
