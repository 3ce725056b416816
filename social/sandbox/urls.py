from django.urls import path

from social.sandbox import api, simulator

app_name = "x_sandbox"
urlpatterns = [
    path("2/users/me", api.users_me),
    path("2/users/<str:user_id>", api.user_by_id),
    path("2/users/<str:user_id>/mentions", api.mentions),
    path("2/users/<str:user_id>/likes", api.likes),
    path("2/users/<str:user_id>/likes/<str:tweet_id>", api.unlike),
    path("2/tweets", api.tweets_collection),
    path("2/tweets/search/recent", api.search_recent),
    path("2/tweets/<str:tweet_id>", api.tweet_by_id),
    path("2/dm_events", api.dm_events),
    path("2/dm_conversations/with/<str:participant_id>/dm_events", api.dm_conversation_events),
    path("2/dm_conversations/with/<str:participant_id>/messages", api.send_dm),
    path("1.1/media/upload.json", api.media_upload),
    path("media/<str:media_key>", api.media_file, name="media"),
    path("avatars/<str:name>", api.avatar, name="avatar"),
    path("simulator/", simulator.page, name="simulator"),
    path("simulator/media/<str:media_key>", simulator.media),
    path("simulator/api/users", simulator.users),
    path("simulator/api/brands", simulator.brands),
    path("simulator/api/dm", simulator.dm),
    path("simulator/api/tweet", simulator.tweet),
    path("simulator/api/retweet", simulator.retweet),
    path("simulator/api/activity", simulator.activity),
    path("simulator/api/webhooks", simulator.webhook),
    path("simulator/api/faults", simulator.faults),
    path("simulator/api/limits", simulator.limits),
    path("simulator/api/revoke", simulator.revoke),
    path("simulator/api/reset", simulator.reset),
]
