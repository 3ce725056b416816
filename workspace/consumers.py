"""One websocket per browser tab at /ws/workspace/: authenticate, join the agent's group, forward events."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from workspace.notifications import agent_group


class WorkspaceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined = [agent_group(user.pk)]
        if user.is_staff:
            self.groups_joined.append("supervisors")
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "agent_id": user.pk})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def forward(self, event):
        """Every push goes to the browser as-is: type, seq and ids; the page fetches what it shows."""
        await self.send_json(event)

    # Channels dispatches "interaction.offered" to interaction_offered(), etc.
    interaction_offered = interaction_withdrawn = interaction_ended = forward
    message_created = message_status = presence_changed = forward
    account_needs_reconnect = forward  # to the supervisors group only
