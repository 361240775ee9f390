"""BSU Models: the catalogue of landmark scale models and their re-enactment scenes.

The public API is what this module exports; the CLI and the web viewer use nothing else.
Names load on first use so that the parser process, which imports
``bsu_models.ingest.parse_worker``, does not pay for the database and rendering libraries.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Catalogue": "bsu_models.catalogue",
    "open_catalogue": "bsu_models.catalogue",
    "CASE_STATUSES": "bsu_models.catalogue",
    "Settings": "bsu_models.core.settings",
    "load_settings": "bsu_models.core.settings",
    "SETTINGS_HELP": "bsu_models.core.settings",
    "UploadFile": "bsu_models.ingest.upload",
    "CaseInfo": "bsu_models.core.records",
    "VersionInfo": "bsu_models.core.records",
    "LevelInfo": "bsu_models.core.records",
    "JobInfo": "bsu_models.core.records",
    "ModelSummary": "bsu_models.core.records",
    "ImportResult": "bsu_models.core.records",
    "VerifyReport": "bsu_models.core.records",
    "AuditEvent": "bsu_models.core.records",
    "AuditHead": "bsu_models.core.records",
    "GcResult": "bsu_models.core.blob_gc",
    "StoredFileInfo": "bsu_models.core.records",
    "UNITS": "bsu_models.core.units",
    "SUPPORTED_MESH_FORMATS": "bsu_models.ingest.formats",
    "supported_list": "bsu_models.ingest.formats",
    "load_demo": "bsu_models.demo",
    "SceneService": "bsu_models.scenes.service",
    "SceneDoc": "bsu_models.scenes.scene_model",
    "Entity": "bsu_models.scenes.scene_items",
    "Step": "bsu_models.scenes.scene_items",
    "Position": "bsu_models.scenes.scene_items",
    "Provenance": "bsu_models.scenes.scene_items",
    "Anchor": "bsu_models.scenes.scene_items",
    "Measurement": "bsu_models.scenes.scene_items",
    "Sightline": "bsu_models.scenes.scene_items",
    "SavedView": "bsu_models.scenes.scene_items",
    "Section": "bsu_models.scenes.scene_items",
    "ENTITY_TYPES": "bsu_models.scenes.scene_items",
    "VEHICLE_KINDS": "bsu_models.scenes.scene_items",
    "SIZED_TYPES": "bsu_models.scenes.scene_items",
    "VEHICLE_KIND_NAMES": "bsu_models.scenes.scene_items",
    "DEFAULT_CAMERA_FOV_DEG": "bsu_models.scenes.scene_items",
    "PROVENANCE_KINDS": "bsu_models.scenes.scene_items",
    "MEASUREMENT_KINDS": "bsu_models.scenes.scene_items",
    "PRESETS": "bsu_models.ingest.geometry",
    "AXES": "bsu_models.ingest.geometry",
    "SceneLayer": "bsu_models.scenes.scene_layer",
    "Overlays": "bsu_models.render.overlay",
    "SIZES": "bsu_models.render.stills",
    "scene_to_json": "bsu_models.scenes.scene_json",
    "scene_from_json": "bsu_models.scenes.scene_json",
    "SceneInfo": "bsu_models.core.records",
    "RevisionInfo": "bsu_models.core.records",
    "MeasuredValue": "bsu_models.core.records",
    "SightlineResult": "bsu_models.core.records",
    "ExhibitResult": "bsu_models.court.exhibit",
    "verify_exhibit": "bsu_models.court.exhibit",
    "BagReport": "bsu_models.court.bagit_verify",
    "LANGUAGES": "bsu_models.core.i18n",
    "LANGUAGE_NAMES": "bsu_models.core.i18n",
    "DEFAULT_LANGUAGE": "bsu_models.core.i18n",
    "Translator": "bsu_models.core.i18n",
    "translator": "bsu_models.core.i18n",
    "format_date": "bsu_models.core.i18n",
    "format_datetime": "bsu_models.core.i18n",
    "format_number": "bsu_models.core.i18n",
    "format_metres": "bsu_models.core.i18n",
    "error_text": "bsu_models.core.i18n",
    "localise": "bsu_models.core.i18n",
    "N_": "bsu_models.core.i18n",
    "Message": "bsu_models.core.errors",
    "Principal": "bsu_models.core.access",
    "ROLES": "bsu_models.core.access",
    "PERMISSIONS": "bsu_models.core.access",
    "role_table_markdown": "bsu_models.core.access",
    "MembershipRequest": "bsu_models.people.membership",
    "CaseMember": "bsu_models.people.membership",
    "PasswordReset": "bsu_models.people.password_reset",
    "idle_expired": "bsu_models.people.accounts",
    "IDLE_MINUTES": "bsu_models.people.accounts",
    "UserInfo": "bsu_models.people.accounts",
    "AuditFilter": "bsu_models.core.audit_export",
    "PostInfo": "bsu_models.people.posts",
    "POST_STATUSES": "bsu_models.people.posts",
    "PLATFORM_SIZES": "bsu_models.render.public_image",
    "PLATFORM_NAMES": "bsu_models.render.public_image",
    "public_document": "bsu_models.scenes.scene_public",
    "sun_track": "bsu_models.scenes.scene_sun",
    "PUBLIC_VIDEO_SIZES": "bsu_models.render.public_video",
    "PUBLIC_VIDEO_NAMES": "bsu_models.render.public_video",
    "VIDEO_SIZES": "bsu_models.render.video",
    "movement_samples": "bsu_models.render.video",
    "flight_samples": "bsu_models.render.video_camera",
    "step_cameras": "bsu_models.render.video_service",
    "VideoResult": "bsu_models.render.video_service",
    "AccessDenied": "bsu_models.core.errors",
    "LoginFailed": "bsu_models.core.errors",
    "BsuError": "bsu_models.core.errors",
    "InvalidInput": "bsu_models.core.errors",
    "UnsupportedFormat": "bsu_models.core.errors",
    "InvalidMesh": "bsu_models.core.errors",
    "UnsafeArchive": "bsu_models.core.errors",
    "AmbiguousUpload": "bsu_models.core.errors",
    "InvalidSetting": "bsu_models.core.errors",
    "LimitExceeded": "bsu_models.core.errors",
    "NotFound": "bsu_models.core.errors",
    "Conflict": "bsu_models.core.errors",
    "ParseFailed": "bsu_models.core.errors",
    "StorageError": "bsu_models.core.errors",
    "IntegrityError": "bsu_models.core.errors",
    "FrameInfo": "bsu_models.core.records",
    "CctvReading": "bsu_models.core.records",
    "PointPair": "bsu_models.scenes.scene_camera",
    "CameraMatch": "bsu_models.scenes.scene_camera",
    "read_pairs_csv": "bsu_models.scenes.scene_camera",
    "REVIEW_CHECKLIST": "bsu_models.scenes.scene_review",
    "REVIEW_DECISION_WORDS": "bsu_models.scenes.scene_review",
    "ReviewInfo": "bsu_models.core.records",
    "AccountsComparison": "bsu_models.core.records",
    "account_text": "bsu_models.scenes.scene_accounts",
    "ACCOUNT_MATCH_WORDS": "bsu_models.scenes.scene_accounts",
    "STEREO_MODES": "bsu_models.render.stereo",
    "parse_interocular": "bsu_models.render.stereo",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bsu_models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


# Old module paths of the flat layout (``bsu_models.catalogue`` stays where it was): importing
# ``bsu_models.<old>`` gives the very module at its new path, so names, patches and
# ``isinstance`` checks agree. ``bsu_models.ingest``, ``.scenes``, ``.render`` and ``.cli`` are
# subpackages now; their ``__init__`` hands out the old module's public names.
_MOVED: dict[str, str] = {
    "settings": "core.settings",
    "errors": "core.errors",
    "i18n": "core.i18n",
    "text": "core.text",
    "units": "core.units",
    "limits": "core.limits",
    "db": "core.db",
    "orm": "core.orm",
    "blobstore": "core.blobstore",
    "blob_gc": "core.blob_gc",
    "audit": "core.audit",
    "audit_head": "core.audit_head",
    "audit_export": "core.audit_export",
    "state_ledger": "core.state_ledger",
    "integrity": "core.integrity",
    "records": "core.records",
    "formats": "ingest.formats",
    "upload": "ingest.upload",
    "sandbox": "ingest.sandbox",
    "parse_worker": "ingest.parse_worker",
    "ply_strips": "ingest.ply_strips",
    "meshdata": "ingest.meshdata",
    "textures": "ingest.textures",
    "geometry": "ingest.geometry",
    "scene_items": "scenes.scene_items",
    "scene_model": "scenes.scene_model",
    "scene_json": "scenes.scene_json",
    "scene_diff": "scenes.scene_diff",
    "scene_analysis": "scenes.scene_analysis",
    "scene_layer": "scenes.scene_layer",
    "scene_public": "scenes.scene_public",
    "overlay": "render.overlay",
    "overlay_canvas": "render.overlay_canvas",
    "overlay_furniture": "render.overlay_furniture",
    "stills": "render.stills",
    "still_service": "render.still_service",
    "fonts": "render.fonts",
    "public_image": "render.public_image",
    "exhibit": "court.exhibit",
    "exhibit_book": "court.exhibit_book",
    "exhibit_content": "court.exhibit_content",
    "exhibit_facts": "court.exhibit_facts",
    "exhibit_words": "court.exhibit_words",
    "pdf_layout": "court.pdf_layout",
    "bagit_package": "court.bagit_package",
    "bagit_read": "court.bagit_read",
    "bagit_verify": "court.bagit_verify",
    "offline_viewer": "court.offline_viewer",
    "offline_viewer_modules": "court.offline_viewer_modules",
    "offline_viewer_page": "court.offline_viewer_page",
    "access": "core.access",
    # Roles and access moved down into ``core``: every service checks them.
    "people.access": "core.access",
    "accounts": "people.accounts",
    "membership": "people.membership",
    "password_reset": "people.password_reset",
    "posts": "people.posts",
    "cli_argparse": "cli.args",
    "cli_exhibit": "cli.exhibit",
    "cli_members": "cli.members",
    "cli_records": "cli.records",
    "cli_scene": "cli.scene",
    "cli_users": "cli.users",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``bsu_models.<old>`` and loads it as the module at its new path."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        package, _, name = fullname.partition(".")
        if package != __name__ or name not in _MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        module = importlib.import_module(f"{__name__}.{_MOVED[spec.name.partition('.')[2]]}")
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system set the old name's spec on the module; give it back its own.
        spec = module.__spec__
        assert spec is not None
        module.__spec__ = spec.loader_state


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())


if TYPE_CHECKING:
    from bsu_models.catalogue import CASE_STATUSES, Catalogue, open_catalogue
    from bsu_models.core.access import PERMISSIONS, ROLES, Principal, role_table_markdown
    from bsu_models.core.audit_export import AuditFilter
    from bsu_models.core.blob_gc import GcResult
    from bsu_models.core.errors import (
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
    from bsu_models.core.i18n import (
        DEFAULT_LANGUAGE,
        LANGUAGE_NAMES,
        LANGUAGES,
        N_,
        Translator,
        error_text,
        format_date,
        format_datetime,
        format_metres,
        format_number,
        localise,
        translator,
    )
    from bsu_models.core.records import (
        AccountsComparison,
        AuditEvent,
        AuditHead,
        CaseInfo,
        CctvReading,
        FrameInfo,
        ImportResult,
        JobInfo,
        LevelInfo,
        MeasuredValue,
        ModelSummary,
        ReviewInfo,
        RevisionInfo,
        SceneInfo,
        SightlineResult,
        StoredFileInfo,
        VerifyReport,
        VersionInfo,
    )
    from bsu_models.core.settings import SETTINGS_HELP, Settings, load_settings
    from bsu_models.core.units import UNITS
    from bsu_models.court.bagit_verify import BagReport
    from bsu_models.court.exhibit import ExhibitResult, verify_exhibit
    from bsu_models.demo import load_demo
    from bsu_models.ingest.formats import SUPPORTED_MESH_FORMATS, supported_list
    from bsu_models.ingest.geometry import AXES, PRESETS
    from bsu_models.ingest.upload import UploadFile
    from bsu_models.people.accounts import IDLE_MINUTES, UserInfo, idle_expired
    from bsu_models.people.membership import CaseMember, MembershipRequest
    from bsu_models.people.password_reset import PasswordReset
    from bsu_models.people.posts import POST_STATUSES, PostInfo
    from bsu_models.render.overlay import Overlays
    from bsu_models.render.public_image import PLATFORM_NAMES, PLATFORM_SIZES
    from bsu_models.render.stereo import STEREO_MODES, parse_interocular
    from bsu_models.render.stills import SIZES
    from bsu_models.scenes.scene_accounts import ACCOUNT_MATCH_WORDS, account_text
    from bsu_models.scenes.scene_camera import CameraMatch, PointPair, read_pairs_csv
    from bsu_models.scenes.scene_items import (
        DEFAULT_CAMERA_FOV_DEG,
        ENTITY_TYPES,
        MEASUREMENT_KINDS,
        PROVENANCE_KINDS,
        SIZED_TYPES,
        VEHICLE_KIND_NAMES,
        VEHICLE_KINDS,
        Anchor,
        Entity,
        Measurement,
        Position,
        Provenance,
        SavedView,
        Section,
        Sightline,
        Step,
    )
    from bsu_models.scenes.scene_json import scene_from_json, scene_to_json
    from bsu_models.scenes.scene_layer import SceneLayer
    from bsu_models.scenes.scene_model import SceneDoc
    from bsu_models.scenes.scene_public import public_document
    from bsu_models.scenes.scene_review import REVIEW_CHECKLIST, REVIEW_DECISION_WORDS
    from bsu_models.scenes.service import SceneService
