"""Errors nextword raises for bad input; cli/main.py turns them into one-line messages."""


class NextwordError(Exception):
    """A problem the user can fix: the message names it and says what to do."""
