"""Celery's broker transport: kombu's Redis transport, made to survive Redis going away under a busy worker.

How kombu 5.7 loses the worker (unix socket and TCP alike): when Redis dies, the worker's event loop may read the
loss on its subscription connection while a BRPOP is still pending on the task connection. Celery then calls
`Connection.collect()`, whose close of the task channel starts by reading that BRPOP's reply, fails ("Connection
closed by server") and stops, leaving the channel open; collect() then detaches the transport (`client = None`).
Celery's next `Connection.close()` closes the same channel again. This time it goes on to put back the messages
the worker holds unacknowledged (acks_late tasks, countdown retries), rebuilds its connection pool from the
detached transport's `client` and raises AttributeError ("'NoneType' object has no attribute 'hostname'"), which
nobody counts as a connection error: "Unrecoverable error", the worker exits.

The fix: a channel whose server is gone still closes completely the first time, while its transport is attached,
so there is no second close. Putting the held messages back then fails as a connection error, which Celery retries
past; they are not lost on a Redis that keeps its data (they come back after the visibility timeout), and
beat's sweeps redo the work either way (docs/RELIABILITY.md).
"""

from queue import Empty

from kombu.transport import redis


class Channel(redis.Channel):
    def close(self):
        if self._in_poll:
            try:
                self._brpop_read()
            except Empty:
                pass
            except self.connection_errors:
                pass  # the pending BRPOP's reply will never come: close the rest regardless
        try:
            super().close()
        except self.connection_errors:
            self.closed = True  # whatever Redis could not be told is lost with it; never close this channel again
            raise


class Transport(redis.Transport):
    Channel = Channel
