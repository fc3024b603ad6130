"""Refusals of actions on discussions.  Every layer raises them (discussions, moderation, posting), so they
live here, below all of them, and the site's forms, the embed and the API show them the same way."""


class CommentError(Exception):
    """A refused action, with a message a person can act on and an HTTP status for the API."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
