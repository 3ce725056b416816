"""The agent's workspace, under /workspace/."""

from django.urls import path

from workspace.desk import client_errors, connect, contact_views, tool_views, views

workspace_patterns = (
    [
        path("", views.home, name="home"),
        path("presence/", views.presence, name="presence"),
        path("offers/", views.offers, name="offers"),
        path("offers/<int:offer_id>/accept/", views.offer_accept, name="offer_accept"),
        path("offers/<int:offer_id>/reject/", views.offer_reject, name="offer_reject"),
        path("interactions/", views.interaction_list, name="interaction_list"),
        path("contacts/<int:contact_id>/", contact_views.contact_tab, name="contact_tab"),
        path("contacts/<int:contact_id>/identities/", contact_views.contact_identity_add, name="contact_identity_add"),
        path(
            "contacts/<int:contact_id>/identities/<int:identity_id>/remove/",
            contact_views.contact_identity_remove,
            name="contact_identity_remove",
        ),
        path("interactions/<int:interaction_id>/", views.interaction, name="interaction"),
        path("interactions/<int:interaction_id>/access/", views.interaction_access, name="interaction_access"),
        path("interactions/<int:interaction_id>/sentiment/", views.interaction_sentiment, name="interaction_sentiment"),
        path(
            "interactions/<int:interaction_id>/conversation/",
            views.interaction_conversation,
            name="interaction_conversation",
        ),
        path("interactions/<int:interaction_id>/send/", views.interaction_send, name="interaction_send"),
        path("interactions/<int:interaction_id>/like/", views.interaction_like, name="interaction_like"),
        path(
            "interactions/<int:interaction_id>/reply-by-dm/",
            views.interaction_reply_by_dm,
            name="interaction_reply_by_dm",
        ),
        path(
            "interactions/<int:interaction_id>/move-to-dm/", views.interaction_move_to_dm, name="interaction_move_to_dm"
        ),
        path("interactions/<int:interaction_id>/end/", views.interaction_end, name="interaction_end"),
        path("interactions/<int:interaction_id>/done/", views.interaction_done, name="interaction_done"),
        path("interactions/<int:interaction_id>/notes/", tool_views.interaction_note, name="interaction_note"),
        path("interactions/<int:interaction_id>/labels/", tool_views.interaction_labels, name="interaction_labels"),
        path("interactions/<int:interaction_id>/canned/", tool_views.canned_responses, name="canned_responses"),
        path("messages/<int:message_id>/retry/", views.message_retry, name="message_retry"),
        path("messages/<int:message_id>/media/<int:index>/", views.message_media, name="message_media"),
        path("connect/", connect.connect, name="connect"),
        path("connect/notices/", connect.notices, name="notices"),
        path("connect/replied/", connect.replied, name="replied"),
        path("connect/contacts/<int:contact_id>/", connect.connect_contact, name="connect_contact"),
        path("connect/contacts/<int:contact_id>/transcript/", connect.connect_transcript, name="connect_transcript"),
        path("connect/contacts/<int:contact_id>/write/", connect.connect_write, name="connect_write"),
        path("connect/contacts/<int:contact_id>/like/", connect.connect_like, name="connect_like"),
        path("connect/contacts/<int:contact_id>/notify/", connect.connect_notify, name="connect_notify"),
        path("connect/contacts/<int:contact_id>/chat/", connect.contact_chat, name="contact_chat"),
        path("contacts/<int:contact_id>/transcript/", connect.contact_transcript, name="contact_transcript"),
        # The Communication tab became the Connect view: its old addresses lead there.
        path("communication/", connect.communication_moved, name="communication"),
        path("communication/contacts/<int:contact_id>/", connect.communication_moved, name="communication_contact"),
        path("client-errors/", client_errors.client_error, name="client_errors"),
    ],
    "workspace",
)
