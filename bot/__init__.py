"""The Discord side: client factory, cogs, views, delivery, translations."""
