"""The database goes away in the middle of an ingest: on PostgreSQL the poller's connection is killed
(pg_terminate_backend): the page's transaction fails whole, the cursor still points at it, and the next poll stores
it. On SQLite another process holds the write lock for 3 s: the poller waits it out (OPTIONS timeout 20 s).
Either way nothing is lost and nothing is stored twice."""

import threading
import time

import pytest
import requests
from django.db import OperationalError, connection
from django.db.utils import InterfaceError

from interactions.models import Message
from social import polling
from social.models import IngestCursor

pytestmark = pytest.mark.django_db(transaction=True)


def break_the_database_while_page_two_is_read(simulator) -> threading.Thread:
    """While X answers page 2 slowly, the poller's database connection dies (or the database is locked)."""
    fault_id = simulator.fault(method="GET", path="/2/dm_events", status=0, delay_ms=1500, skip=1)["fault_id"]
    settings_dict = connection.settings_dict

    def page_two_requested():  # page 1 is stored; X has page 2's request and answers it late
        while True:
            faults = requests.get(f"{simulator.api}/faults", timeout=10).json()["faults"]
            if next(f["fired"] for f in faults if f["id"] == fault_id):
                return
            time.sleep(0.05)

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            poller_pid = cursor.fetchone()[0]

        def kill():
            import psycopg

            page_two_requested()
            params = {"dbname": settings_dict["NAME"], "user": settings_dict["USER"] or None,
                      "host": settings_dict["HOST"] or None, "port": settings_dict["PORT"] or None}  # fmt: skip
            with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [poller_pid])

        worker = threading.Thread(target=kill)
    else:
        import sqlite3

        def lock():
            page_two_requested()
            other = sqlite3.connect(settings_dict["NAME"], timeout=1)
            other.execute("BEGIN IMMEDIATE")
            time.sleep(3)
            other.rollback()
            other.close()

        worker = threading.Thread(target=lock)
    worker.start()
    return worker


def test_a_database_dropped_mid_ingest_resumes_at_the_failed_page(simulator, brand, figures):
    customers = [simulator.user(f"dbdrop{i}") for i in range(3)]
    for n in range(150):
        simulator.dm(customers[n % 3], brand.x_user_id, f"dbdrop {n}")

    worker = break_the_database_while_page_two_is_read(simulator)
    failure = None
    try:
        report = polling.poll_account(account_id=brand.pk)
    except (OperationalError, InterfaceError) as exc:
        failure = exc
    worker.join()
    if connection.vendor == "postgresql":
        assert failure is not None, "the poller's connection was not killed"
        connection.close()  # what Celery's Django fixup does after a failed task: the next one gets a new one
        cursor = IngestCursor.objects.get(account=brand, stream="dm_events")
        assert cursor.resume_token and Message.objects.count() == 100  # page 1 kept, page 2 rolled back whole
        report = polling.poll_account(account_id=brand.pk)  # the next scheduled poll
        assert (report.created, report.duplicates, report.error) == (50, 0, "")
    else:
        assert failure is None and (report.created, report.error) == (150, "")
    numbers = [int(text.split()[1]) for text in Message.objects.values_list("text", flat=True)]
    assert sorted(set(numbers)) == list(range(150))
    what, how = ("connection killed", "page 2 re-read by the next poll") if failure else ("locked", "lock waited out")
    duplicated = len(numbers) - len(set(numbers))
    figures.record(f"database {what} mid-ingest ({connection.vendor})", sent=150, stored=len(numbers),
                   duplicated=duplicated, extra=how)  # fmt: skip
    from social.models import XSpend

    # The ledger is not short: page 2's DM events, whose charge died with the connection, are charged when re-read.
    units = sum(XSpend.objects.filter(account=brand, endpoint="dm_events").values_list("units", flat=True))
    assert units == 150
