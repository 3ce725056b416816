"""Structured logs: one line per event with its ids, as key=value (default) or JSON (LOG_FORMAT=json).

    log_event(log, "message.ingested", account_id=3, message_id=17)
    → time=2026-03-02T09:00:00.123Z level=INFO logger=social.ingest event=message.ingested account_id=3 message_id=17

Lines from other loggers (Django, Celery) get the same shape with their text in msg=.
"""

import datetime as dt
import json
import logging

FIELDS_ATTRIBUTE = "perch_fields"


def log_event(logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields) -> None:
    """Logs one event: its name and ids, nothing else (never tokens, never customer text)."""
    logger.log(level, event, extra={"event": event, FIELDS_ATTRIBUTE: fields})


def _record_fields(record: logging.LogRecord) -> dict:
    time = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds")
    fields = {"time": time.replace("+00:00", "Z"), "level": record.levelname, "logger": record.name}
    if getattr(record, "event", None):
        fields["event"] = record.event
        fields.update(getattr(record, FIELDS_ATTRIBUTE, {}))
    else:
        fields["msg"] = record.getMessage()
    return fields


def _kv_value(value) -> str:
    text = "" if value is None else str(value)
    if text and not any(c in text for c in ' ="\n\t'):
        return text
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = _record_fields(record)
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_kv_value(value)}" for key, value in fields.items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = _record_fields(record)
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return json.dumps(fields, default=str, ensure_ascii=False)
