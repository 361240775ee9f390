"""How the command line shows catalogue records: cases and model versions as text and JSON.

Text is in the CLI's language (``lang``); JSON keys and values are language-neutral and, like
the command names, a public interface that scripts rely on.
"""

from __future__ import annotations

from typing import Any

from bsu_models.cli.scene import _pad
from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_, format_datetime, localise, t
from bsu_models.core.records import CaseInfo, VersionInfo

#: A web level's state, as the reader sees it.
LEVEL_STATUS = {"pending": N_("being made"), "ready": N_("ready"), "failed": N_("not made")}


def _case_json(case: CaseInfo) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "title": case.title,
        "status": case.status,
        "created_at": case.created_at.isoformat(),
        "model_count": case.model_count,
    }


def _extent_text(version: VersionInfo, lang: str = DEFAULT_LANGUAGE) -> str:
    size = version.real_world_size
    if size is None:
        return t("real-world size unknown (set units and scale)", lang)
    east, north, height = size
    return t("real-world size {east} m E-W x {north} m N-S x {height} m high", lang).format(
        east=f"{east:.2f}", north=f"{north:.2f}", height=f"{height:.2f}"
    )


def _version_text(v: VersionInfo, lang: str = DEFAULT_LANGUAGE) -> str:
    lo, hi = v.bounds

    def line(label: str, text: str) -> str:
        return f"  {_pad(label, 10)} {text}"

    mesh = t("{vertices} vertices, {faces} faces", lang).format(
        vertices=f"{v.vertices:,}", faces=f"{v.faces:,}"
    )
    # Translators: a mesh surface that is not closed, i.e. not watertight.
    surface = t("watertight", lang) if v.watertight else t("open", lang)
    texture = t("textured", lang) if v.has_texture else t("untextured", lang)
    uploaded = t("{when} (Hong Kong time) by {who}", lang).format(
        when=format_datetime(v.uploaded_at, lang, seconds=True), who=v.uploaded_by
    )
    lines = [
        t(
            "{case} / {model} — version {number} (version id {version_id}, model id {model_id})",
            lang,
        ).format(
            case=v.case_reference,
            model=v.model_name,
            number=v.number,
            version_id=v.version_id,
            model_id=v.model_id,
        ),
        line(
            t("original", lang),
            t("{name} ({format}, {size} bytes uploaded in all)", lang).format(
                name=v.original_name, format=v.format, size=f"{v.size_bytes:,}"
            ),
        ),
        *(
            [
                line(
                    t("member", lang),
                    t("{name} (the mesh used from the upload)", lang).format(name=v.mesh_member),
                )
            ]
            if v.mesh_member != v.original_name
            else []
        ),
        line(
            "sha256",
            t("{sha256} (of {name})", lang).format(sha256=v.original_sha256, name=v.mesh_member),
        ),
        line(
            t("mesh", lang),
            t("{mesh}, {surface}, {texture}", lang).format(
                mesh=mesh, surface=surface, texture=texture
            ),
        ),
        line(
            t("bounds", lang),
            " .. ".join("(" + ", ".join(f"{c:.4g}" for c in p) + ")" for p in (lo, hi)),
        ),
        line(
            t("units", lang),
            t("{units}, scale {scale}; {extent}", lang).format(
                units=v.units, scale=v.scale, extent=_extent_text(v, lang)
            ),
        ),
        line(t("uploaded", lang), uploaded),
    ]
    if v.latitude_deg is not None and v.longitude_deg is not None:
        lines.append(
            line(
                t("place", lang),
                t(
                    "latitude {lat:.6f}°, longitude {lon:.6f}° (WGS84, the model's origin)", lang
                ).format(lat=v.latitude_deg, lon=v.longitude_deg),
            )
        )
    lines += [
        line(
            t("web level", lang),
            t("{level}: {status}, {faces} faces, {bytes} bytes", lang).format(
                level=level.level,
                status=t(LEVEL_STATUS.get(level.status, level.status), lang),
                faces=f"{level.faces:,}",
                bytes=f"{level.bytes:,}",
            ),
        )
        for level in v.web_levels
    ]
    lines += [line(t("warning", lang), localise(w, lang)) for w in v.warnings]
    return "\n".join(lines)
