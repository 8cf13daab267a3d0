"""Looking at and tidying avatars: history, show, favourite, delete, forget-me, styles, queue; Save and Delete."""
