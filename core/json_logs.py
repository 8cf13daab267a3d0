"""JSON log lines for log collectors (AVATARBOT_LOG_FORMAT=json): one object a line with the time,
level, logger and message, plus `job_id` / `interaction_id` / `command` / `outcome` when the record
carries them (`log.info(..., extra={"job_id": 17})`), and the traceback as one string."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Record attributes copied into the line when present.
CONTEXT_FIELDS = ("job_id", "interaction_id", "command", "outcome", "backend", "kind", "request_id", "path")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_formatter(log_format: str) -> logging.Formatter:
    """The formatter of AVATARBOT_LOG_FORMAT ("json" or "text")."""
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
