"""``bsu-models sun`` and ``bsu-models version locate``: the sun at a place and time, and where a
model version stands on Earth.

``sun --lat --lon --at --json`` and its keys ``azimuth_deg`` and ``elevation_deg`` (with the
day's ``sunrise``, ``sunset``, ``civil_dawn`` and ``civil_dusk``) are a public interface, as are
``version locate VERSION --lat --lon`` and ``import ... --lat --lon``.
"""

from __future__ import annotations

import argparse
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.cli.records import _version_text
from bsu_models.cli.scene import _emit, _lang
from bsu_models.core.i18n import t
from bsu_models.core.places import check_place
from bsu_models.scenes.sun import parse_moment, sun_day, sun_position, time_zone


def _hm(moment: Any) -> str:
    return moment.strftime("%H:%M") if moment is not None else "-"


def cmd_sun(_cat: Catalogue | None, args: argparse.Namespace) -> int:
    lat, lon = check_place(args.lat, args.lon)
    zone = args.time_zone
    moment = parse_moment(args.at, zone)
    position = sun_position(lat, lon, moment)
    local = moment.astimezone(time_zone(zone)) if zone else moment
    day = sun_day(lat, lon, local.date(), zone if zone else None)
    lang = _lang(args)
    lines = [
        t(
            "Sun at {at} ({lat:.4f}, {lon:.4f}): azimuth {azimuth:.2f}° from true north, "
            "elevation {elevation:.2f}° (with refraction).",
            lang,
        ).format(
            at=moment.isoformat(timespec="minutes"),
            lat=lat,
            lon=lon,
            azimuth=position.azimuth_deg,
            elevation=position.elevation_deg,
        )
    ]
    if not position.up:
        lines.append(t("The sun is down (after sunset or before sunrise).", lang))
    if day.polar == "day":
        lines.append(t("Polar day: the sun does not set on {date}.", lang).format(date=day.day))
    elif day.polar == "night":
        lines.append(t("Polar night: the sun does not rise on {date}.", lang).format(date=day.day))
    else:
        lines.append(
            t(
                "{date} ({zone}): civil dawn {dawn}, sunrise {sunrise}, sunset {sunset}, "
                "civil dusk {dusk}.",
                lang,
            ).format(
                date=day.day,
                zone=day.zone,
                dawn=_hm(day.civil_dawn),
                sunrise=_hm(day.sunrise),
                sunset=_hm(day.sunset),
                dusk=_hm(day.civil_dusk),
            )
        )
    _emit(args, {**position.to_json(), **day.to_json()}, "\n".join(lines))
    return 0


def cmd_locate(cat: Catalogue, args: argparse.Namespace) -> int:
    version = cat.locate_version(args.version_id, args.lat, args.lon)
    _emit(args, version.to_json(), _version_text(version, _lang(args)))
    return 0


def add_sun_at_flag(parser: argparse.ArgumentParser, lang: str) -> None:
    """``--sun-at``, as pictures and videos take it."""
    parser.add_argument(
        "--sun-at",
        metavar="ISO8601",
        help=t(
            "light the model by the sun at this date and time, with shadows "
            "(default: the scene's date and the step's time, when the version is located)",
            lang,
        ),
    )


def add_sun_commands(
    sub: argparse._SubParsersAction,
    json_flag: argparse.ArgumentParser,
    lang: str,
) -> None:
    sun = sub.add_parser(
        "sun",
        parents=[json_flag],
        help=t("where the sun is at a place and time, with the day's sunrise and sunset", lang),
    )
    sun.add_argument("--lat", required=True, metavar="DEG", help=t("latitude, WGS84 degrees", lang))
    sun.add_argument(
        "--lon", required=True, metavar="DEG", help=t("longitude, WGS84 degrees (east +)", lang)
    )
    sun.add_argument(
        "--at",
        required=True,
        metavar="ISO8601",
        help=t(
            "date and time, e.g. 2026-06-21T17:00 (Hong Kong time unless a zone is given)", lang
        ),
    )
    sun.add_argument(
        "--time-zone",
        metavar="ZONE",
        help=t("time zone of --at and of the day's times (default Asia/Hong_Kong)", lang),
    )
    sun.set_defaults(handler=cmd_sun, needs_catalogue=False)

    version = sub.add_parser("version", help=t("change a model version's facts", lang))
    version_sub = version.add_subparsers(dest="version_command", required=True)
    locate = version_sub.add_parser(
        "locate",
        parents=[json_flag],
        help=t("set where the version's origin is on Earth (WGS84)", lang),
    )
    locate.add_argument("version_id", type=int, metavar="VERSION")
    locate.add_argument(
        "--lat", required=True, metavar="DEG", help=t("latitude, WGS84 degrees", lang)
    )
    locate.add_argument(
        "--lon", required=True, metavar="DEG", help=t("longitude, WGS84 degrees (east +)", lang)
    )
    locate.set_defaults(handler=cmd_locate)
