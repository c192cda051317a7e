"""The two kinds of failure the hooks tell apart.

A RequestError means Metacontroller sent something we cannot read: the HTTP
layer answers 4xx and Metacontroller changes nothing. A SpecError means the
user's grid is wrong: the hook answers 200, keeps every observed child and
reports the problem in a condition.
"""


class RequestError(ValueError):
    """The request itself is malformed (not the user's spec)."""


class SpecError(ValueError):
    """The grid's spec (or the part of it for one unit) cannot be rendered."""

    reason = "InvalidSpec"  # the Synced condition's reason when the whole grid is kept as it is


MESSAGE_LIMIT = 300


def brief(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """``message`` cut to ``limit`` characters: error texts quote user data, and status must stay small."""
    return message if len(message) <= limit else message[: limit - 3] + "..."
