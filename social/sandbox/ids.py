"""Snowflake-like ids, as strings: time in the high bits, so they sort by time and exceed 2^53 like X's."""

import itertools
import os
import time

TWITTER_EPOCH_MS = 1288834974657
_sequence = itertools.count()


def new_id() -> str:
    millis = int(time.time() * 1000) - TWITTER_EPOCH_MS
    worker = os.getpid() & 0x3FF
    return str((millis << 22) | (worker << 12) | (next(_sequence) & 0xFFF))


def conversation_id(a: str, b: str) -> str:
    """X's id of the 1:1 DM conversation between two users: `<lower id>-<higher id>`, compared as numbers."""
    low, high = sorted([str(a), str(b)], key=int)
    return f"{low}-{high}"
