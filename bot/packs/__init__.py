"""Expression packs: one character in every expression, shown as one sheet, as server emojis and stickers."""
