from django.urls import path, re_path

from social.sandbox import activity, dms, emails, indicators, media, replay, simulator, spend, tweets, users
from social.sandbox.http import methods, unknown_route

app_name = "x_sandbox"
urlpatterns = [
    # X API v2 (host api.twitter.com)
    path("2/users/me", methods(GET=users.users_me)),
    path("2/users/by/username/<str:username>", methods(GET=users.user_by_username)),
    path("2/users/<str:user_id>", methods(GET=users.user_by_id)),
    path("2/users/<str:user_id>/mentions", methods(GET=tweets.mentions)),
    path("2/users/<str:user_id>/likes", methods(POST=tweets.like)),
    path("2/users/<str:user_id>/likes/<str:tweet_id>", methods(DELETE=tweets.unlike)),
    path("2/tweets", methods(GET=tweets.tweets_lookup, POST=tweets.create_tweet)),
    path("2/tweets/search/recent", methods(GET=tweets.search_recent)),
    path("2/tweets/<str:tweet_id>", methods(GET=tweets.tweet_by_id, DELETE=tweets.delete_tweet)),
    path("2/dm_events", methods(GET=dms.dm_events)),
    path("2/dm_conversations/with/<str:participant_id>/dm_events", methods(GET=dms.conversation_events)),
    path("2/dm_conversations/with/<str:participant_id>/messages", methods(POST=dms.send_message)),
    path("2/media/upload", methods(GET=media.upload_status, POST=media.upload)),
    path("2/media/upload/initialize", methods(POST=media.initialize)),
    path("2/media/upload/<str:media_id>/append", methods(POST=media.append)),
    path("2/media/upload/<str:media_id>/finalize", methods(POST=media.finalize)),
    path("2/webhooks", methods(GET=activity.list_webhooks, POST=activity.create_webhook)),
    path("2/webhooks/replay", methods(POST=replay.create_replay_job)),
    path("2/webhooks/<str:webhook_id>", methods(PUT=activity.validate_webhook, DELETE=activity.delete_webhook)),
    path(
        "2/activity/subscriptions",
        methods(GET=activity.list_subscriptions, POST=activity.create_subscription),
    ),
    path("2/activity/subscriptions/<str:subscription_id>", methods(DELETE=activity.delete_subscription)),
    re_path(r"^2/", unknown_route),
    # v1.1 media upload (host upload.twitter.com): retired by X, answered with X's refusal
    path("1.1/media/upload.json", methods(GET=media.retired_v1_upload, POST=media.retired_v1_upload)),
    re_path(r"^1\.1/", unknown_route),
    # Media and avatars the API's JSON links to
    path("media/<str:media_key>", media.media_file, name="media"),
    path("avatars/<str:name>", media.avatar, name="avatar"),
    # The customer simulator
    path("simulator/", simulator.page, name="simulator"),
    path("simulator/media/<str:media_key>", simulator.media),
    path("simulator/api/users", simulator.users),
    path("simulator/api/brands", simulator.brands),
    path("simulator/api/dm", simulator.dm),
    path("simulator/api/typing", indicators.typing),
    path("simulator/api/read", indicators.read),
    path("simulator/api/tweet", simulator.tweet),
    path("simulator/api/retweet", simulator.retweet),
    path("simulator/api/activity", simulator.activity),
    path("simulator/api/apps", simulator.apps),
    path("simulator/api/faults", simulator.faults),
    path("simulator/api/limits", simulator.limits),
    path("simulator/api/media_processing", media.processing),
    path("simulator/api/revoke", simulator.revoke),
    path("simulator/api/reset", simulator.reset),
    path("simulator/api/charges", spend.charges),
    path("simulator/api/mailbox", emails.mailbox),
]
