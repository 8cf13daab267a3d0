"""Moderators: /avatar-mod (review queue, approve, reject, ban, log) and the Report/Approve/Reject buttons."""
