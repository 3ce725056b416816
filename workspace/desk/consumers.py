"""One websocket per browser tab at /ws/workspace/: authenticate, join the agent's group, forward events.

Thin on purpose: no database writes. It keeps the tab's liveness in Redis (for ghost detection) and answers a
reconnecting tab's resync with the current sequence number so it can re-fetch what it shows.
"""

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from interactions.presence import presence_grace_seconds
from interactions.tasks import presence_ghost_check
from workspace.infra import events, tabs
from workspace.infra.push import SUPERVISORS_GROUP, agent_group


@database_sync_to_async
def _may_use_workspace(user) -> bool:
    """The workspace pages' rule (views.agent_required): agents, and staff to look around."""
    return user.is_staff or hasattr(user, "agent_profile")


class WorkspaceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await _may_use_workspace(user):
            await self.close(code=4403)
            return
        self.agent_id = user.pk
        self.groups_joined = [agent_group(user.pk)]
        if user.is_staff:
            self.groups_joined.append(SUPERVISORS_GROUP)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await sync_to_async(tabs.tab_alive)(self.agent_id, self.channel_name)
        await self.send_json({"type": "hello", "agent_id": user.pk, "seq": await self._seq()})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if hasattr(self, "agent_id"):
            await sync_to_async(tabs.tab_closed)(self.agent_id, self.channel_name)
            await sync_to_async(_schedule_ghost_check)(self.agent_id)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await sync_to_async(tabs.tab_alive)(self.agent_id, self.channel_name)
            await self.send_json({"type": "pong"})
        elif kind == "resync":
            await self.send_json({"type": "resync", "seq": await self._seq()})

    async def _seq(self) -> int:
        return await sync_to_async(tabs.current_seq)(agent_group(self.agent_id))

    async def dispatch(self, message):
        """Every registered push (workspace.infra.events) goes to the browser as-is: type, seq and ids; the page
        fetches what it shows. The live board's hints reach staff through the supervisors group too, but carry the
        board's own sequence numbers: the workspace page has no use for them. Anything else is Channels' own."""
        kind = message.get("type", "")
        if kind not in events.REGISTRY:
            await super().dispatch(message)
        elif kind != events.BoardChanged.type:
            await self.send_json(message)


class BoardConsumer(AsyncJsonWebsocketConsumer):
    """The supervisors' live board at /ws/board/: staff only, joins `supervisors`, forwards its events.

    Board events carry their own sequence number; the hello (and the answer to a resync) says where it stands, so
    a page that missed events re-fetches its partials.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(SUPERVISORS_GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "seq": await self._seq()})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(SUPERVISORS_GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "resync":
            await self.send_json({"type": "resync", "seq": await self._seq()})

    async def _seq(self) -> int:
        return await sync_to_async(tabs.current_seq)(SUPERVISORS_GROUP)

    async def dispatch(self, message):
        """The supervisors' pushes (workspace.infra.events) go to the board as-is; anything else is Channels' own."""
        if events.is_pushed(message.get("type", ""), events.SUPERVISORS):
            await self.send_json(message)
            return
        await super().dispatch(message)


class UnknownPathConsumer(AsyncJsonWebsocketConsumer):
    """Any websocket path Perch does not serve: refused at once with 4404 (as a page would answer 404)."""

    async def connect(self):
        await self.close(code=4404)


def _schedule_ghost_check(agent_id: int) -> None:
    presence_ghost_check.apply_async((agent_id,), countdown=presence_grace_seconds())
