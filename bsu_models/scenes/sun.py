"""Where the sun was: its azimuth and elevation at a place and time, and the day's sunrise,
sunset and civil twilight.

Positions come from NREL's Solar Position Algorithm (Reda & Andreas 2004, corrigendum 2007) as
implemented in ``pvlib.spa`` (pure NumPy, no data downloads; stated uncertainty ±0.0003° for
years -2000 to 6000). Azimuth is measured clockwise from true north (east 90°, south 180°).
``elevation_deg`` is the *apparent* elevation, raised by atmospheric refraction for a standard
atmosphere (1013.25 hPa, 12 °C) as SPA computes it; ``geometric_elevation_deg`` is the same
without refraction. Sunrise and sunset are when the centre of the sun's disc is 0.8333° below
the horizon geometrically (refraction of 34' plus the disc's radius of 16', the convention of
NOAA and the almanacs); civil dawn and dusk when it is 6° below. Where the sun does not cross
those heights on a local calendar day (polar day or night) the times are ``None`` and
``polar`` says which.

A place is WGS84 latitude and longitude in degrees; times are timezone-aware ``datetime``
values, and a time written without a zone is read in the scene's zone (Hong Kong by default).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from bsu_models.core.errors import InvalidInput
from bsu_models.core.places import check_place

DEFAULT_TIME_ZONE = "Asia/Hong_Kong"
#: The standard atmosphere of the refraction correction.
PRESSURE_HPA = 1013.25
TEMPERATURE_C = 12.0
#: Geometric elevation of the disc's centre at sunrise and sunset, and at civil twilight.
SUNRISE_ELEVATION_DEG = -0.8333
CIVIL_ELEVATION_DEG = -6.0
#: pvlib's default: refraction at the horizon, degrees (SPA applies refraction above it).
_HORIZON_REFRACTION_DEG = 0.5667

_TIME_ONLY = re.compile(r"^T?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def time_zone(name: str | None) -> tzinfo:
    """The IANA time zone ``name`` (Hong Kong when ``None``)."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "Time zone {zone!r} is not known; use a name such as Asia/Hong_Kong.", zone=name
        ) from None


def parse_moment(text: str, zone: str | None = None) -> datetime:
    """An ISO 8601 date and time (``2026-06-21T14:30``, with or without ``+08:00`` or ``Z``) as
    an aware ``datetime``; without a zone it is read in ``zone`` (Hong Kong by default)."""
    raw = text.strip()
    if _TIME_ONLY.match(raw):
        raise InvalidInput(
            "The time {text!r} has no date; write the date too, e.g. 2026-06-21T{time}.",
            text=raw,
            time=raw.lstrip("T"),
        )
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            "{text!r} is not a date and time; write it like 2026-06-21T14:30 "
            "(Hong Kong time unless it ends with a zone such as +08:00).",
            text=raw,
        ) from None
    if "T" not in raw.upper() and " " not in raw:
        raise InvalidInput(
            "{text!r} is a date without a time; write it like {text}T14:30.", text=raw
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=time_zone(zone))
    return moment


@dataclass(frozen=True)
class SunPosition:
    """The sun seen from a place at a moment."""

    latitude_deg: float
    longitude_deg: float
    at: datetime  # aware
    azimuth_deg: float  # clockwise from true north
    elevation_deg: float  # apparent: with refraction
    geometric_elevation_deg: float  # without refraction

    @property
    def up(self) -> bool:
        """Whether any of the disc shows above a flat horizon."""
        return self.geometric_elevation_deg > SUNRISE_ELEVATION_DEG

    def direction(self, up: np.ndarray, north: np.ndarray) -> np.ndarray:
        """Unit vector ``(3,)`` from the ground toward the sun in model axes (``up`` and
        ``north`` are the model's; east is ``north × up``, as the preset views take it)."""
        east = np.cross(north, up)
        az, el = math.radians(self.azimuth_deg), math.radians(self.elevation_deg)
        vector = math.cos(el) * (math.sin(az) * east + math.cos(az) * north) + math.sin(el) * up
        return np.asarray(vector / np.linalg.norm(vector), dtype=float)

    def to_json(self) -> dict[str, Any]:
        return {
            "latitude_deg": self.latitude_deg,
            "longitude_deg": self.longitude_deg,
            "at": self.at.isoformat(),
            "azimuth_deg": round(self.azimuth_deg, 4),
            "elevation_deg": round(self.elevation_deg, 4),
            "geometric_elevation_deg": round(self.geometric_elevation_deg, 4),
            "refraction": "standard atmosphere, 1013.25 hPa and 12 °C",
            "up": self.up,
        }


@dataclass(frozen=True)
class SunDay:
    """Sunrise, sunset and civil twilight on a local calendar day; ``None`` where it does not
    happen that day, and ``polar`` "day" or "night" when the sun neither rises nor sets."""

    day: date
    zone: str
    sunrise: datetime | None
    sunset: datetime | None
    civil_dawn: datetime | None
    civil_dusk: datetime | None
    polar: str | None  # "day", "night" or None

    def to_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat(timespec="seconds") if moment else None

        return {
            "date": self.day.isoformat(),
            "time_zone": self.zone,
            "sunrise": iso(self.sunrise),
            "sunset": iso(self.sunset),
            "civil_dawn": iso(self.civil_dawn),
            "civil_dusk": iso(self.civil_dusk),
            "polar": self.polar,
        }


def _spa(
    unixtime: np.ndarray, latitude: float, longitude: float, year: int, month: int
) -> np.ndarray:
    """SPA on an array of Unix times: rows apparent zenith, zenith, apparent elevation,
    geometric elevation, azimuth, equation of time (the order of ``spa.solar_position_numpy``'s
    ``theta, theta0, e, e0, phi, eot``: ``e`` is ``e0`` plus refraction)."""
    from pvlib import spa

    delta_t = float(spa.calculate_deltat(year, month))
    result = spa.solar_position(
        np.asarray(unixtime, dtype=float),
        latitude,
        longitude,
        0.0,
        PRESSURE_HPA,
        TEMPERATURE_C,
        delta_t,
        _HORIZON_REFRACTION_DEG,
    )
    return np.asarray(result)


def sun_position(latitude: float, longitude: float, at: datetime) -> SunPosition:
    """Where the sun is, seen from ``(latitude, longitude)`` at the aware moment ``at``."""
    latitude, longitude = check_place(latitude, longitude)
    if at.tzinfo is None:
        raise InvalidInput("A moment for the sun needs its time zone.")
    _app_zen, _zen, apparent, geometric, azimuth, _eot = _spa(
        np.array([at.timestamp()]), latitude, longitude, at.year, at.month
    )[:, 0]
    return SunPosition(latitude, longitude, at, float(azimuth), float(apparent), float(geometric))


def _crossings(
    times: np.ndarray, heights: np.ndarray, level: float, height_at: Any
) -> tuple[float | None, float | None]:
    """The first upward and the last downward crossing of ``level``, to about a second."""
    above = heights > level
    changes = np.nonzero(above[1:] != above[:-1])[0]
    rising = next((int(i) for i in changes if not above[i]), None)
    setting = next((int(i) for i in changes[::-1] if above[i]), None)
    found: list[float | None] = []
    for index in (rising, setting):
        if index is None:
            found.append(None)
            continue
        low, high = float(times[index]), float(times[index + 1])
        upward = not above[index]
        while high - low > 0.5:
            middle = (low + high) / 2
            if (height_at(middle) > level) == upward:
                high = middle
            else:
                low = middle
        found.append((low + high) / 2)
    return found[0], found[1]


def sun_day(latitude: float, longitude: float, day: date, zone: str | None = None) -> SunDay:
    """Sunrise, sunset and civil twilight at ``(latitude, longitude)`` on the calendar ``day``
    of ``zone`` (Hong Kong by default), as aware times in that zone."""
    latitude, longitude = check_place(latitude, longitude)
    where = time_zone(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=where).timestamp()
    end = (datetime(day.year, day.month, day.day, tzinfo=where) + timedelta(days=1)).timestamp()
    times = np.linspace(start, end, 289)  # every 5 minutes

    def heights(at: np.ndarray) -> np.ndarray:
        return _spa(at, latitude, longitude, day.year, day.month)[3]

    def height_at(at: float) -> float:
        return float(heights(np.array([at]))[0])

    sampled = heights(times)

    def local(stamp: float | None) -> datetime | None:
        if stamp is None:
            return None
        return datetime.fromtimestamp(round(stamp), tz=where)

    sunrise, sunset = _crossings(times, sampled, SUNRISE_ELEVATION_DEG, height_at)
    dawn, dusk = _crossings(times, sampled, CIVIL_ELEVATION_DEG, height_at)
    polar = None
    if sunrise is None and sunset is None:
        polar = "day" if sampled.min() > SUNRISE_ELEVATION_DEG else "night"
    return SunDay(
        day,
        zone or DEFAULT_TIME_ZONE,
        local(sunrise),
        local(sunset),
        local(dawn),
        local(dusk),
        polar,
    )
