import copy

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`, as printed once by `manage.py partner_key create`.",
        }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "Stable, for programs: invalid, not_found, ..."},
                "message": {"type": "string", "description": "For people, in the request's language."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "For a 400: each field at fault and what is wrong with it.",
                },
            },
        }
    },
}
COMMON_ERRORS = {
    "400": "Invalid input; `error.fields` names each field at fault.",
    "401": "No API key, or an unknown or revoked one.",
    "403": "The key lacks the scope for this request.",
    "404": "No such object within the caller's streets.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "413": "The request body is too large.",
    "415": "Send JSON (Content-Type: application/json).",
    "429": "Too many requests for this key; retry later.",
}
WRITE_ERRORS = {
    "409": "Not possible in the ticket's present state (or a duplicate external id).",
    "422": "This Idempotency-Key was used with a different body.",
}


def split_action_operations(result) -> None:
    """One operation per action: `POST tickets/{id}/actions/refer/` with the refer body,
    `.../cancel/` with the cancel body, and so on, in place of the one `{action}` operation
    whose body could have been any of them. The URLs are the same ones; the schema now says
    what each action needs (TicketAction documents its bodies as a oneOf in ACTION_SERIALIZERS'
    order, which this unfolds)."""
    from escalation.transitions import Action

    from .serializers import ACTION_SERIALIZERS

    schemas = result.get("components", {}).get("schemas", {})
    paths = {}
    for path, operations in result.get("paths", {}).items():
        if not path.endswith("/actions/{action}/"):
            paths[path] = operations
            continue
        template = operations["post"]
        bodies = template["requestBody"]["content"]
        proxy = next(iter(bodies.values()))["schema"]["$ref"].rsplit("/", 1)[-1]
        refs = [each["$ref"] for each in schemas.pop(proxy)["oneOf"]]
        for action, ref in zip(ACTION_SERIALIZERS, refs, strict=True):
            operation = copy.deepcopy(template)
            operation["operationId"] = template["operationId"].removesuffix("_create") + f"_{action}_create"
            operation["summary"] = str(Action(action).label)
            body = schemas[ref.rsplit("/", 1)[-1]]
            operation["description"] = f"{body.get('description', '')}\n\n{template.get('description', '')}".strip()
            operation["parameters"] = [each for each in template["parameters"] if each["name"] != "action"]
            for content in operation["requestBody"]["content"].values():
                content["schema"] = {"$ref": ref}
            operation["requestBody"].pop("required", None)
            if body.get("required"):  # as drf-spectacular says it: a body is needed if a field is
                operation["requestBody"]["required"] = True
            paths[path.replace("{action}", action)] = {**operations, "post": operation}
    result["paths"] = paths


def add_error_responses(result, generator, request, public):
    """The schema's last touches (SPECTACULAR_SETTINGS' hook): one operation per action
    (split_action_operations), then every operation's failures in the one error envelope."""
    split_action_operations(result)
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            errors = {**COMMON_ERRORS, **(WRITE_ERRORS if method == "post" else {})}
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses[status] = {
                    "description": responses.get(status, {}).get("description") or description,
                    "content": reference,
                }
    return result
