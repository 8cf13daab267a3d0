"""The `avatarbot` command line: the one entry point that may import every room."""
