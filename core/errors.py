"""The kinds of refusal the core gives; the API and the screens each render them in one place."""


class ZhitongError(Exception):
    """A refusal with a message for people, a stable `code` for programs, and the `field` at fault."""

    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class InvalidInput(ZhitongError):
    """Bad or missing input, naming its field (HTTP 400)."""

    default_code = "invalid"


class InvalidTransition(ZhitongError):
    """A move the state machine or its invariants refuse in the ticket's present state (HTTP 409)."""

    default_code = "invalid_transition"


class NotPermitted(ZhitongError):
    """The person's role does not allow this here (HTTP 403); the policy (escalation.policy) says."""

    default_code = "permission_denied"
