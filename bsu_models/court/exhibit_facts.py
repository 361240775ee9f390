"""What a court exhibit package states of the model version a scene stands on.

Works on one ``VersionInfo``: its bounds, axes, units and scale give the east / north / up frame
and metres per model unit that positions are written in (``_frame``), and its case, file,
SHA-256, upload, size and mesh give the model facts of the book and the offline viewer
(``_model_facts``, in the package's language).
"""

from __future__ import annotations

import numpy as np

from bsu_models.core.i18n import DEFAULT_LANGUAGE, translator
from bsu_models.core.records import VersionInfo
from bsu_models.court.exhibit_words import _date_text
from bsu_models.ingest.geometry import axis_vector


def _frame(version: VersionInfo) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    """East, north and up unit vectors and metres per model unit (None when unknown)."""
    up, north = axis_vector(version.up_axis), axis_vector(version.north_axis)
    east = np.cross(north, up)
    lo, hi = np.asarray(version.bounds[0]), np.asarray(version.bounds[1])
    factor = None
    if version.real_world_extent_m is not None and hi[0] > lo[0]:
        factor = version.real_world_extent_m[0] / float(hi[0] - lo[0])
    return east, north, up, factor


def _model_facts(version: VersionInfo, lang: str = DEFAULT_LANGUAGE) -> tuple[tuple[str, str], ...]:
    _ = translator(lang).gettext
    size = version.real_world_size
    lo, hi = (("(" + ", ".join(f"{c:.4g}" for c in p) + ")") for p in version.bounds)
    uploaded = _("{when} by {who}").format(
        when=_date_text(version.uploaded_at, lang), who=version.uploaded_by
    )
    return (
        (_("Case"), version.case_reference),
        (
            _("Model"),
            _("{model}, version {number}").format(model=version.model_name, number=version.number),
        ),
        (_("Original file"), version.mesh_member),
        (_("Original SHA-256"), version.original_sha256),
        (_("Uploaded"), uploaded),
        (
            _("Units and scale"),
            _("{units}, scale {scale}").format(units=version.units, scale=version.scale),
        ),
        (
            _("Real-world size"),
            _("unknown (units or scale not set)")
            if size is None
            else _("{east} m east-west × {north} m north-south × {height} m high").format(
                east=f"{size[0]:.2f}", north=f"{size[1]:.2f}", height=f"{size[2]:.2f}"
            ),
        ),
        (
            _("Mesh"),
            _("{vertices} vertices, {faces} faces, {surface}").format(
                vertices=f"{version.vertices:,}",
                faces=f"{version.faces:,}",
                surface=_("watertight") if version.watertight else _("open"),
            ),
        ),
        (_("Bounds (model units)"), _("{low} to {high}").format(low=lo, high=hi)),
        (
            _("Axes"),
            _("up {up}, north {north}").format(up=version.up_axis, north=version.north_axis),
        ),
    )
