"""The Open311 records' shapes, for the OpenAPI document (/docs) and the fuzz test that holds
every answer to it: each answer is JSON or XML by the path's extension."""

from typing import Any, Literal

from pydantic import BaseModel, Field, RootModel


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime"]
    keywords: str
    group: str


class Services(RootModel[list[Service]]):
    pass


class AttributeValue(BaseModel):
    key: str
    name: str


class Attribute(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    order: int
    datatype_description: str
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Attribute]


class Note(BaseModel):
    datetime: str
    description: str
    type: Literal["status"]


class ServiceRequest(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str
    address_id: str
    zipcode: None
    lat: float
    long: float
    media_url: None
    notes: list[Note] | None = Field(default=None, description="with extensions=true")


class ServiceRequests(RootModel[list[ServiceRequest]]):
    pass


class Receipt(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: None


class Receipts(RootModel[list[Receipt]]):
    pass


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Open311Error(BaseModel):
    code: int = Field(description="the HTTP status")
    description: str


class Open311Errors(RootModel[list[Open311Error]]):
    pass


XML = {"text/xml": {"schema": {"type": "string", "description": "the same, as XML"}}}
RETRY = {"Retry-After": {"description": "whole seconds to wait", "schema": {"type": "integer"}}}
WHEN = {
    400: "anything wrong with the request (named in the description)",
    403: "api_key missing, unknown or revoked, or not a machine client's",
    404: "unknown jurisdiction, service or service request",
    413: "a body over 1 MB",
    429: "too many reports: wait Retry-After seconds",
    503: "the read model or Temporal is down: retry",
}


def answers(
    model: type[BaseModel],
    *errors: int,
    status: int = 200,
    description: str = "JSON (.json) or XML (.xml)",
) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        status: {"model": model, "content": XML, "description": description}
    }
    for code in (*errors, 503):
        out[code] = {"model": Open311Errors, "content": XML, "description": WHEN[code]}
        if code in (429, 503):
            out[code]["headers"] = RETRY
    return out


def without_422(openapi: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents its 422 on every operation; the facade answers the spec's 400."""
    for path, operations in openapi.get("paths", {}).items():
        if path.startswith("/open311/"):
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
    return openapi


REPORT_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["service_code", "lat", "long"],
                    "properties": {
                        "api_key": {"type": "string", "description": "or the X-API-Key header"},
                        "jurisdiction_id": {"type": "string"},
                        "service_code": {"type": "string", "examples": ["C0101"]},
                        "lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "long": {"type": "number", "minimum": -180, "maximum": 180},
                        "device_id": {
                            "type": "string",
                            "description": "required: the device reporting",
                        },
                        "description": {"type": "string", "maxLength": 4000},
                        "attribute[urgency]": {"type": "string", "enum": ["normal", "urgent"]},
                        "attribute[subject_code]": {"type": "string"},
                    },
                }
            }
        },
    }
}
