class InteractionError(Exception):
    """A lifecycle request that cannot be carried out; the message is shown to the person who asked."""


class InvalidTransition(InteractionError):
    pass


class NotYours(InteractionError):
    pass
