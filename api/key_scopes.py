"""What an API key may do: its own scopes and the role it was made for, checked on every request
it makes, never the owner's current role (docs/auth.md)."""

from enum import StrEnum

from fastapi import Request
from fastapi.routing import iter_route_contexts

from api.errors import ApiError, invalid
from domain.states import Role
from readmodel.access.tables import ApiKey, User


class KeyScope(StrEnum):
    SENSOR_INTAKE = "sensor_intake"  # POST /api/v1/incidents; read what it reported
    OPEN311_REPORT = "open311_report"  # POST /open311/v2/requests
    READ_ONLY = "read_only"  # GET, with the rights of the role the key was made for


# Both report as a machine client: only a sensor account may own such a key.
SENSOR_SCOPES = frozenset({KeyScope.SENSOR_INTAKE, KeyScope.OPEN311_REPORT})
# Method and route template (as routed, so a path parameter cannot smuggle another route in).
ROUTES: dict[str, frozenset[tuple[str, str]]] = {
    KeyScope.SENSOR_INTAKE: frozenset(
        {
            ("POST", "/api/v1/incidents"),
            ("GET", "/api/v1/tickets/{ticket_id}"),  # api/authz.py: a sensor reads its own reports
            ("GET", "/api/v1/my/tickets"),
            ("GET", "/api/v1/me"),
        }
    ),
    KeyScope.OPEN311_REPORT: frozenset({("POST", "/open311/v2/requests.{fmt}")}),
}
ADMIN_ROUTES = "/api/v1/admin/"


def route_template(request: Request) -> str | None:
    """The matched route's full template (/api/v1/tickets/{ticket_id}), or None. A route included
    from a router knows only its own (/tickets/{ticket_id}): the app's route contexts know both."""
    templates: dict[int, str | None] | None = getattr(request.app.state, "route_templates", None)
    if templates is None:
        templates = {}
        for context in iter_route_contexts(request.app.routes):
            key = id(context.original_route)  # one route mounted twice: neither template holds
            templates[key] = context.path if key not in templates else None
        request.app.state.route_templates = templates
    return templates.get(id(request.scope.get("route")))


def allows(scopes: list[str], method: str, route: str | None) -> bool:
    if route is None or route.startswith(ADMIN_ROUTES):
        return False  # whatever the scope or the owner's role
    for scope in scopes:
        if scope == KeyScope.READ_ONLY and method == "GET":
            return True
        if (method, route) in ROUTES.get(scope, frozenset()):
            return True
    return False


def acting_user(key: ApiKey, owner: User) -> User:
    """The caller a key is: its owner (the reporter, the audit's actor) with the role the key
    was made for, so a later promotion of the owner never reaches the key."""
    return User.model_validate(owner.model_dump() | {"role": key.role})


def check_scope(key: ApiKey, *, method: str, route: str | None) -> None:
    """403 unless the key's scopes cover this route; never an admin's."""
    if key.role == Role.ADMIN:  # refused when made; a row from before scopes is revoked (0005)
        raise ApiError(403, "an API key never acts as an admin", code="outside_key_scope")
    if not allows(key.scopes, method, route):
        raise ApiError(
            403,
            f"this API key's scopes ({', '.join(key.scopes)}) do not allow {method} {route}",
            code="outside_key_scope",
        )


def check_owner(owner: User, scopes: list[KeyScope]) -> None:
    """422 unless `owner` may hold a key with these scopes."""
    if len(set(scopes)) != len(scopes):
        raise invalid("scopes", "each scope once")
    if owner.role in (Role.ADMIN, Role.SYSTEM):
        raise invalid("user_id", f"an API key cannot act as {owner.role}")
    reporting = sorted(SENSOR_SCOPES & set(scopes))
    if reporting and owner.role != Role.SENSOR:
        raise invalid(
            "scopes",
            f"{', '.join(reporting)} is for machine clients: the owner "
            f"must have the role sensor, not {owner.role}",
        )
