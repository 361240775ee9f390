"""Where a model version stands on Earth: the WGS84 latitude and longitude of its origin.

With the version's north axis this orients the model for the sun. The place lives in its own
table (``version_places``, one row per version) and setting or changing it is an audit event
that refers to the coordinates by their SHA-256, since auditors read events without being
members of the case.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select

from bsu_models.core.audit import append_event
from bsu_models.core.context import ServiceContext
from bsu_models.core.db import write_session
from bsu_models.core.errors import InvalidInput, NotFound
from bsu_models.core.orm import VersionPlaceRow, VersionRow, utcnow
from bsu_models.core.records import VersionInfo
from bsu_models.core.text import text_sha256
from bsu_models.core.versions import get_version


def check_place(latitude: Any, longitude: Any) -> tuple[float, float]:
    """``(latitude, longitude)`` as floats in range, or one sentence saying which is not."""
    values = []
    for value, limit in ((latitude, 90), (longitude, 180)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or not -limit <= number <= limit:
            if limit == 90:
                raise InvalidInput(
                    "Latitude {value} is out of range; it must be from -90 to 90 degrees.",
                    value=value,
                )
            raise InvalidInput(
                "Longitude {value} is out of range; it must be from -180 to 180 degrees.",
                value=value,
            )
        values.append(number)
    return values[0], values[1]


def place_text(latitude: float, longitude: float) -> str:
    """The place as it is hashed in the audit log: degrees to seven decimals (about 1 cm)."""
    return f"{latitude:.7f},{longitude:.7f}"


def locate_version(
    ctx: ServiceContext,
    version_id: int,
    latitude: Any,
    longitude: Any,
    actor: str | None = None,
) -> VersionInfo:
    """Set (or change) where ``version_id``'s origin is; returns the version as now stored."""
    lat, lon = check_place(latitude, longitude)
    version = get_version(ctx, version_id)
    ctx.require_case("model.import", version.case_reference, "version", str(version_id))
    with write_session(ctx.engine) as session:
        row = session.get(VersionRow, version_id)
        if row is None:
            raise NotFound("There is no model version {version}.", version=version_id)
        place = session.scalars(
            select(VersionPlaceRow).where(VersionPlaceRow.version_id == version_id)
        ).one_or_none()
        before = place_text(place.latitude_deg, place.longitude_deg) if place else None
        name = ctx.actor_name(actor)
        if place is None:
            session.add(
                VersionPlaceRow(
                    version_id=version_id, latitude_deg=lat, longitude_deg=lon, set_by=name
                )
            )
        else:
            place.latitude_deg, place.longitude_deg, place.set_by = lat, lon, name
            place.set_at = utcnow()
        append_event(
            session,
            actor=name,
            action="version.locate",
            object_type="version",
            object_id=str(version_id),
            object_sha256=version.original_sha256,
            details={
                "place_sha256": text_sha256(place_text(lat, lon)),
                "previous_place_sha256": text_sha256(before) if before else None,
            },
        )
    return get_version(ctx, version_id)
