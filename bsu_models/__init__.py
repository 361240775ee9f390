"""BSU Models: the catalogue of landmark scale models and their re-enactment scenes.

The public API is what this module exports; the CLI and the web viewer use nothing else.
Names load on first use so that the parser process, which imports ``bsu_models.parse_worker``,
does not pay for the database and rendering libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Catalogue": "bsu_models.catalogue",
    "open_catalogue": "bsu_models.catalogue",
    "CASE_STATUSES": "bsu_models.catalogue",
    "Settings": "bsu_models.settings",
    "load_settings": "bsu_models.settings",
    "SETTINGS_HELP": "bsu_models.settings",
    "UploadFile": "bsu_models.upload",
    "CaseInfo": "bsu_models.records",
    "VersionInfo": "bsu_models.records",
    "ModelSummary": "bsu_models.records",
    "ImportResult": "bsu_models.records",
    "VerifyReport": "bsu_models.records",
    "AuditEvent": "bsu_models.records",
    "AuditHead": "bsu_models.records",
    "GcResult": "bsu_models.blob_gc",
    "StoredFileInfo": "bsu_models.records",
    "UNITS": "bsu_models.units",
    "SUPPORTED_MESH_FORMATS": "bsu_models.formats",
    "supported_list": "bsu_models.formats",
    "load_demo": "bsu_models.demo",
    "SceneService": "bsu_models.scenes",
    "SceneDoc": "bsu_models.scene_model",
    "Entity": "bsu_models.scene_items",
    "Step": "bsu_models.scene_items",
    "Position": "bsu_models.scene_items",
    "Provenance": "bsu_models.scene_items",
    "Anchor": "bsu_models.scene_items",
    "Measurement": "bsu_models.scene_items",
    "Sightline": "bsu_models.scene_items",
    "SavedView": "bsu_models.scene_items",
    "ENTITY_TYPES": "bsu_models.scene_items",
    "PROVENANCE_KINDS": "bsu_models.scene_items",
    "MEASUREMENT_KINDS": "bsu_models.scene_items",
    "PRESETS": "bsu_models.geometry",
    "AXES": "bsu_models.geometry",
    "SceneLayer": "bsu_models.scene_layer",
    "Overlays": "bsu_models.overlay",
    "SIZES": "bsu_models.stills",
    "scene_to_json": "bsu_models.scene_json",
    "scene_from_json": "bsu_models.scene_json",
    "SceneInfo": "bsu_models.records",
    "RevisionInfo": "bsu_models.records",
    "MeasuredValue": "bsu_models.records",
    "SightlineResult": "bsu_models.records",
    "ExhibitResult": "bsu_models.exhibit",
    "verify_exhibit": "bsu_models.exhibit",
    "BagReport": "bsu_models.bagit_verify",
    "LANGUAGES": "bsu_models.i18n",
    "LANGUAGE_NAMES": "bsu_models.i18n",
    "DEFAULT_LANGUAGE": "bsu_models.i18n",
    "Translator": "bsu_models.i18n",
    "translator": "bsu_models.i18n",
    "format_date": "bsu_models.i18n",
    "format_datetime": "bsu_models.i18n",
    "format_number": "bsu_models.i18n",
    "format_metres": "bsu_models.i18n",
    "error_text": "bsu_models.i18n",
    "localise": "bsu_models.i18n",
    "Message": "bsu_models.errors",
    "Principal": "bsu_models.access",
    "ROLES": "bsu_models.access",
    "PERMISSIONS": "bsu_models.access",
    "role_table_markdown": "bsu_models.access",
    "MembershipRequest": "bsu_models.membership",
    "CaseMember": "bsu_models.membership",
    "PasswordReset": "bsu_models.password_reset",
    "idle_expired": "bsu_models.accounts",
    "IDLE_MINUTES": "bsu_models.accounts",
    "UserInfo": "bsu_models.accounts",
    "AuditFilter": "bsu_models.audit_export",
    "PostInfo": "bsu_models.posts",
    "POST_STATUSES": "bsu_models.posts",
    "PLATFORM_SIZES": "bsu_models.public_image",
    "PLATFORM_NAMES": "bsu_models.public_image",
    "public_document": "bsu_models.scene_public",
    "AccessDenied": "bsu_models.errors",
    "LoginFailed": "bsu_models.errors",
    "BsuError": "bsu_models.errors",
    "InvalidInput": "bsu_models.errors",
    "UnsupportedFormat": "bsu_models.errors",
    "InvalidMesh": "bsu_models.errors",
    "UnsafeArchive": "bsu_models.errors",
    "AmbiguousUpload": "bsu_models.errors",
    "InvalidSetting": "bsu_models.errors",
    "LimitExceeded": "bsu_models.errors",
    "NotFound": "bsu_models.errors",
    "Conflict": "bsu_models.errors",
    "ParseFailed": "bsu_models.errors",
    "StorageError": "bsu_models.errors",
    "IntegrityError": "bsu_models.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bsu_models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from bsu_models.access import PERMISSIONS, ROLES, Principal, role_table_markdown
    from bsu_models.accounts import IDLE_MINUTES, UserInfo, idle_expired
    from bsu_models.audit_export import AuditFilter
    from bsu_models.bagit_verify import BagReport
    from bsu_models.blob_gc import GcResult
    from bsu_models.catalogue import CASE_STATUSES, Catalogue, open_catalogue
    from bsu_models.demo import load_demo
    from bsu_models.errors import (
        AccessDenied,
        AmbiguousUpload,
        BsuError,
        Conflict,
        IntegrityError,
        InvalidInput,
        InvalidMesh,
        InvalidSetting,
        LimitExceeded,
        LoginFailed,
        Message,
        NotFound,
        ParseFailed,
        StorageError,
        UnsafeArchive,
        UnsupportedFormat,
    )
    from bsu_models.exhibit import ExhibitResult, verify_exhibit
    from bsu_models.formats import SUPPORTED_MESH_FORMATS, supported_list
    from bsu_models.geometry import AXES, PRESETS
    from bsu_models.i18n import (
        DEFAULT_LANGUAGE,
        LANGUAGE_NAMES,
        LANGUAGES,
        Translator,
        error_text,
        format_date,
        format_datetime,
        format_metres,
        format_number,
        localise,
        translator,
    )
    from bsu_models.membership import CaseMember, MembershipRequest
    from bsu_models.overlay import Overlays
    from bsu_models.password_reset import PasswordReset
    from bsu_models.posts import POST_STATUSES, PostInfo
    from bsu_models.public_image import PLATFORM_NAMES, PLATFORM_SIZES
    from bsu_models.records import (
        AuditEvent,
        AuditHead,
        CaseInfo,
        ImportResult,
        MeasuredValue,
        ModelSummary,
        RevisionInfo,
        SceneInfo,
        SightlineResult,
        StoredFileInfo,
        VerifyReport,
        VersionInfo,
    )
    from bsu_models.scene_items import (
        ENTITY_TYPES,
        MEASUREMENT_KINDS,
        PROVENANCE_KINDS,
        Anchor,
        Entity,
        Measurement,
        Position,
        Provenance,
        SavedView,
        Sightline,
        Step,
    )
    from bsu_models.scene_json import scene_from_json, scene_to_json
    from bsu_models.scene_layer import SceneLayer
    from bsu_models.scene_model import SceneDoc
    from bsu_models.scene_public import public_document
    from bsu_models.scenes import SceneService
    from bsu_models.settings import SETTINGS_HELP, Settings, load_settings
    from bsu_models.stills import SIZES
    from bsu_models.units import UNITS
    from bsu_models.upload import UploadFile
