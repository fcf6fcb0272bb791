"""Request bodies checked against the OpenAPI document's own schemas (JSON Schema 2020-12).

A problem is reported per field, by path ("email", "orders/0/number"), as a code: never the
value sent, which may be personal data.
"""

from __future__ import annotations

from functools import cache

from jsonschema import Draft202012Validator

from portal.api.openapi import SPEC

CODES = {"type": "type", "required": "required", "additionalProperties": "unknown_field",
         "maxLength": "too_long", "minLength": "required", "enum": "choice", "pattern": "format",
         "format": "format", "maxItems": "too_many", "minimum": "too_small", "maximum": "too_large",
         "oneOf": "format"}
_MAX_NAME = 64


@cache
def validator(schema: str) -> Draft202012Validator:
    """A validator for components/schemas/`schema`, its references resolved within the document."""
    root = {"$ref": f"#/components/schemas/{schema}", "components": SPEC["components"]}
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root)


def _path(parts) -> str:
    return "/".join(str(part)[:_MAX_NAME] for part in parts) or "body"


def field_errors(schema: str, body) -> dict[str, str]:
    """What is wrong with `body` by the schema, as {path: code}; empty when it fits."""
    errors: dict[str, str] = {}
    for error in validator(schema).iter_errors(body):
        where = list(error.absolute_path)
        if error.validator == "required":
            for name in error.validator_value:
                if name not in error.instance:
                    errors.setdefault(_path([*where, name]), "required")
        elif error.validator == "additionalProperties":
            for name in set(error.instance) - set(error.schema.get("properties", {})):
                errors.setdefault(_path([*where, name]), "unknown_field")
        else:
            errors.setdefault(_path(where), CODES.get(error.validator, "invalid"))
    return errors
