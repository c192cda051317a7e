"""The LabelSelector schema every selector field of the CRDs uses (grid nodeSelector, rollout steps)."""

from __future__ import annotations

SELECTOR_PROPERTIES = {
    "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
    "matchExpressions": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["key", "operator"],
            "properties": {
                "key": {"type": "string"},
                "operator": {"type": "string", "enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                "values": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}


def label_selector(description: str) -> dict:
    """A LabelSelector field's schema with its own description."""
    return {"type": "object", "description": description, "properties": SELECTOR_PROPERTIES}
