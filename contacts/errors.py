"""Refusals of the contacts domain, in words a person can act on (str(error) is what the screen shows)."""


class ContactError(ValueError):
    """A change to a contact or its identities that Perch refuses."""


class IdentityTaken(ContactError):
    """The address is another contact's already (identities are unique per channel). Who that is depends on who
    asks: the screen names the owner only to an agent who may see them (naming)."""

    def __init__(self, *, what: str, owner_id: int):
        self.what, self.owner_id = what, owner_id
        super().__init__(self.naming(None))

    def naming(self, owner_name: str | None) -> str:
        return f"That {self.what} already belongs to {owner_name or 'another contact'}."
