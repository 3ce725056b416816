"""X events (DMs, mentions, replies) → Perch, from polling and webhooks alike: contact identified, message stored
once, interaction opened or continued.

Callers hand over parsed events inside their own transaction. threads.py says which conversation an event belongs
to, store.py writes it, dms.py and tweets.py are the entry points re-exported here.
"""

from social.ingest.dms import ingest_dm_events
from social.ingest.store import IngestResult, reject
from social.ingest.tweets import ingest_tweets

__all__ = ["IngestResult", "ingest_dm_events", "ingest_tweets", "reject"]
