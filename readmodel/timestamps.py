"""The read model's timestamps are UTC; SQLite keeps no offset, so its columns come back naive."""

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime: a naive one (as read back from SQLite) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
