"""A business refusal raised by the pure rules and turned into an ApplicationError by the workflow."""


class Refusal(Exception):
    """`kind` maps to HTTP: forbidden 403, conflict 409, invalid 422; not_routed_yet 409 with
    Retry-After (`retry_after_s`): the ticket is still being routed, the same action soon works."""

    def __init__(self, kind: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = details
