"""Display names of the stored kinds of scene values, in the user's language.

The stored values are ``bsu_models.ENTITY_TYPES`` and ``PROVENANCE_KINDS``; pages show them with
these functions, so the editor and the presentation name them alike.
"""

from __future__ import annotations

from viewer.shared import t


def type_names() -> dict[str, str]:
    """Each entity type's name (built per call: the language can change between runs)."""
    return {
        "suspect": t("suspect"),
        "victim": t("victim"),
        "witness": t("witness"),
        "officer": t("officer"),
        "vehicle": t("vehicle"),
        "evidence": t("evidence"),
        "camera": t("camera"),
        "other": t("other"),
    }


def type_name(kind: str) -> str:
    """The name of an entity type; an unknown one as stored."""
    return type_names().get(kind, kind)


def provenance_name(kind: str) -> str:
    """The name of a way a position is known; an unknown one as stored."""
    names = {
        "measured": t("measured"),
        "cctv": t("CCTV"),
        "witness_statement": t("witness statement"),
        "assumption": t("assumption"),
    }
    return names.get(kind, kind.replace("_", " "))
