"""The OpenAPI 3.1 description of the API, written by hand next to the views it describes.

tests/workspace/test_api.py fails when a URL under /api/ is missing here, so the two cannot drift apart.
"""

import re

from contacts.models import IdentityChannel
from interactions.models import Channel, InteractionState

# The limits the views enforce (workspace/api/views.py imports them), so the document and the checks agree.
MAX_ID = 2**63 - 1  # the largest id a 64-bit primary key holds, on PostgreSQL and SQLite alike
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 25, 100
MAX_QUERY_LENGTH = 200
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
QUERY = {"type": "string", "maxLength": MAX_QUERY_LENGTH, "pattern": "^[^\\x00]*$", "description": "No NUL character."}

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
USER = {
    "type": ["object", "null"],
    "properties": {"id": {"type": "integer"}, "username": {"type": "string"}},
    "required": ["id", "username"],
}

SCHEMAS = {
    "Interaction": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": Channel.values},
            "state": {"type": "string", "enum": InteractionState.values},
            "contact": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "display_name": {"type": "string"}},
            },
            "x_account": {
                "type": ["object", "null"],
                "properties": {"id": {"type": "integer"}, "handle": {"type": "string"}},
            },
            "agent": USER,
            "priority": {"type": "integer"},
            "sentiment": {"type": ["number", "null"], "minimum": -1, "maximum": 1},
            "language": {"type": "string"},
            "disposition": NULLABLE_STRING,
            "opened_at": {"type": "string", "format": "date-time"},
            "queued_at": NULLABLE_TIME,
            "accepted_at": NULLABLE_TIME,
            "ended_at": NULLABLE_TIME,
            "ended_by": {"type": ["string", "null"], "enum": ["agent", "customer", "supervisor", "system", None]},
            "done_at": NULLABLE_TIME,
            "messages_url": {"type": "string", "description": "Detail only."},
        },
        "required": ["id", "kind", "state", "contact", "opened_at"],
    },
    "Message": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "direction": {"type": "string", "enum": ["in", "out"]},
            "kind": {"type": "string", "enum": ["dm", "tweet", "like"]},
            "text": {"type": "string"},
            "author_agent": USER,
            "author_handle": NULLABLE_STRING,
            "external_id": {**NULLABLE_STRING, "description": "DM event id or tweet id on X (a string)."},
            "in_reply_to_external_id": NULLABLE_STRING,
            "delivery": {"type": ["string", "null"], "enum": ["queued", "sending", "sent", "failed", None]},
            "media_count": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "sent_at": NULLABLE_TIME,
        },
        "required": ["id", "direction", "kind", "text", "created_at"],
    },
    "Contact": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "display_name": {"type": "string"},
            "is_vip": {"type": "boolean"},
            "assigned_agent": USER,
            "default_outbound_channel": {"type": "string", "enum": IdentityChannel.values},
            "identities": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "channel": {"type": "string", "enum": IdentityChannel.values},
                        "external_id": {"type": "string"},
                        "handle": NULLABLE_STRING,
                    },
                },
            },
            "notes": {"type": "string", "description": "Detail only."},
            "created_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "display_name", "identities"],
    },
    "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
}


def _page_of(schema: str) -> dict:
    return {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
            "next": NULLABLE_STRING,
            "previous": NULLABLE_STRING,
            "results": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}},
        },
        "required": ["count", "page", "page_size", "next", "previous", "results"],
    }


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = {"$ref": "#/components/schemas/Error"}
PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "schema": {**ID, "default": 1}},
    {
        "name": "page_size",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
    },
]
COMMON_ERRORS = {
    "400": _json(ERROR, "Bad query parameters, said in words."),
    "401": _json(ERROR, "Missing, unknown or revoked token."),
    "404": _json(ERROR, "Not found, or not visible to this token."),
}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": ID}


def _get(summary: str, response: dict, parameters: list | None = None) -> dict:
    responses = {"200": response, **COMMON_ERRORS}
    return {"get": {"summary": summary, "parameters": parameters or [], "responses": responses}}


PATHS = {
    "/api/v1/interactions/": _get(
        "Interactions visible to the token, newest first.",
        _json(_page_of("Interaction"), "A page of interactions."),
        [
            *PAGE_PARAMETERS,
            {"name": "state", "in": "query", "schema": {"type": "string", "enum": InteractionState.values}},
            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": Channel.values}},
            {"name": "contact", "in": "query", "schema": ID, "description": "Only this contact's interactions."},
        ],
    ),
    "/api/v1/interactions/{interaction_id}/": _get(
        "One interaction.",
        _json({"$ref": "#/components/schemas/Interaction"}, "The interaction."),
        [_id("interaction_id")],
    ),
    "/api/v1/interactions/{interaction_id}/messages/": _get(
        "The messages of an interaction, oldest first.",
        _json(_page_of("Message"), "A page of messages."),
        [_id("interaction_id"), *PAGE_PARAMETERS],
    ),
    "/api/v1/contacts/": _get(
        "Contacts visible to the token, by name; q searches name, handle, X id and messages.",
        _json(_page_of("Contact"), "A page of contacts."),
        [*PAGE_PARAMETERS, {"name": "q", "in": "query", "schema": QUERY}],
    ),
    "/api/v1/contacts/{contact_id}/": _get(
        "One contact, with notes.",
        _json({"$ref": "#/components/schemas/Contact"}, "The contact."),
        [_id("contact_id")],
    ),
    "/api/openapi.json": {
        "get": {
            "summary": "This document.",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI 3.1 document.", "content": {"application/json": {}}}},
        }
    },
}


def query_parameters(*, route: str) -> set[str]:
    """The query parameters this document lists for a URL route, e.g. "api/v1/contacts/<int:contact_id>/"."""
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return {p["name"] for p in PATHS[path]["get"]["parameters"] if p["in"] == "query"}


def openapi_document(*, server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Perch API",
            "version": "1.0.0",
            "description": (
                "Read-only access to interactions, their messages and contacts. An agent's token sees what the "
                "agent sees in the workspace; a supervisor's (staff) token sees everything. Create a token with "
                "`python manage.py api_token <username>` or in the admin (API tokens)."
            ),
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A Perch API token."}},
            "schemas": SCHEMAS,
        },
    }
