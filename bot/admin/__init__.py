"""Server admins: /avatar-admin settings."""
