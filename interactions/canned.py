"""Canned responses: the ones an agent may use (their own and their teams'), with placeholders filled in. The same
placeholders fill the notification templates an agent sends from the Connect view (interactions.outreach)."""

import re

from django.db.models import Q

from interactions.models import CannedResponse, Interaction

PLACEHOLDER = re.compile(r"\{(contact_name|agent_name|brand_handle)\}")


def canned_responses_for_agent(*, agent):
    """Active responses personal to this agent or shared with one of their teams; nobody else's."""
    return CannedResponse.objects.filter(
        Q(owner=agent) | Q(owner__isnull=True, team__agents__user=agent), is_active=True
    ).distinct()


def placeholders_fill(text: str, *, contact, agent, brand_handle: str) -> str:
    """{contact_name}, {agent_name} and {brand_handle} (the X account's handle, without its @; "" when there is
    none) filled in, anything else left as written."""
    values = {
        "contact_name": contact.display_name,
        "agent_name": agent.first_name or agent.get_username(),
        "brand_handle": f"@{brand_handle}" if brand_handle else "",
    }
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def canned_response_render(*, response: CannedResponse, interaction: Interaction, agent) -> str:
    """The response's text for this conversation, its placeholders filled."""
    handle = interaction.x_account.handle if interaction.x_account_id else ""
    return placeholders_fill(response.text, contact=interaction.contact, agent=agent, brand_handle=handle)
