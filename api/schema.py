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


def add_error_responses(result, generator, request, public):
    """Every operation answers failures in the one error envelope; say so in the schema."""
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
