"""The Discord side, by feature (requests, gallery, moderation, admin) over shared parts
(delivery, ui, common, replies, i18n)."""
