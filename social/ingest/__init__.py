"""X events → Perch. Polling and webhooks call these entry points."""

from social.ingest.store import IngestResult, ingest_dm_events, ingest_tweets, reject

__all__ = ["IngestResult", "ingest_dm_events", "ingest_tweets", "reject"]
