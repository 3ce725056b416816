"""One event vocabulary: every `perch:<type>` a template, a script or a view speaks of is a registered push or a
page's own event (workspace.infra.events), and every registered push is listened for somewhere."""

import re
from pathlib import Path

import pytest

from workspace.infra import events
from workspace.infra.events import BoardChanged, InteractionOffered, MessageStatus
from workspace.infra.push import notify_agent, notify_board

ROOT = Path(__file__).resolve().parents[2]
# perch:<type> with an optional :<id>; "perch:right-tab" and its like are localStorage keys, not events.
SPOKEN = re.compile(r"perch:([a-z_]+(?:\.[a-z_]+)?)(?![\w-])")
RAISED = re.compile(r"""["']perch:([a-z_]+(?:\.[a-z_]+)?)["']""")  # a view's HX-Trigger; not Redis keys
QUOTED = re.compile(r"""["']([a-z_]+\.[a-z_]+)["']""")


def _sources():
    yield from (ROOT / "templates").rglob("*.html")
    yield from (ROOT / "static" / "workspace").glob("*.js")
    yield from (ROOT / "workspace").rglob("*.py")


def _spoken() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in _sources():
        for name in (RAISED if path.suffix == ".py" else SPOKEN).findall(path.read_text()):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_event_a_page_listens_for_or_raises_is_registered():
    known = set(events.REGISTRY) | set(events.CLIENT_ONLY)
    assert {name: where for name, where in _spoken().items() if name not in known} == {}


def test_every_registered_push_is_listened_for():
    spoken = set(_spoken())
    scripts = " ".join(path.read_text() for path in (ROOT / "static" / "workspace").glob("*.js"))
    quoted = set(QUOTED.findall(scripts))  # the board's alert texts are keyed by the push's type
    unheard = [name for name in events.REGISTRY if name not in spoken and name not in quoted]
    assert unheard == []
    assert [name for name in events.CLIENT_ONLY if name not in spoken] == []


def test_the_payload_is_the_dataclass_and_the_type():
    assert InteractionOffered(interaction_id=7, offer_id=9).payload() == {
        "type": "interaction.offered", "interaction_id": 7, "offer_id": 9,
    }  # fmt: skip
    assert BoardChanged(queue_changed=True).payload() == {
        "type": "board.changed", "agent_id": None, "interaction_id": None, "queue_changed": True,
    }  # fmt: skip


def test_a_push_goes_only_to_its_own_audience():
    with pytest.raises(ValueError, match="board.changed is not an agent's event"):
        notify_agent(1, BoardChanged())
    with pytest.raises(ValueError, match="message.status is not the board's event"):
        notify_board(MessageStatus(interaction_id=1, message_id=2, delivery="sent"))
