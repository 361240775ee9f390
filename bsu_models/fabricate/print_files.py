"""Print files: 3MF (millimetres, one object per part) and binary STL.

The 3MF is written here rather than by trimesh so that the same print gives the same bytes
(trimesh's writer stamps random UUIDs): the package's parts in a fixed order, zip entries with
a fixed date, and the model's metadata naming the original's SHA-256. STL holds one solid, so a
print of several parts is written as one STL per part.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import numpy as np

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="model" '
    'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Target="/3D/3dmodel.model" Id="rel0" '
    'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
    "</Relationships>"
)
_FIXED_DATE = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Part:
    name: str
    vertices: np.ndarray  # (n, 3) float64, mm
    faces: np.ndarray  # (m, 3) int64


_BATCH = 4096


def _rows(template: str, values: np.ndarray) -> str:
    """``template`` filled with each row of ``values``, all joined (a batch at a time)."""
    chunks = []
    for start in range(0, len(values), _BATCH):
        batch = values[start : start + _BATCH]
        chunks.append((template * len(batch)).format(*batch.ravel().tolist()))
    return "".join(chunks)


def model_xml(parts: list[Part], metadata: dict[str, str]) -> bytes:
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        '<model unit="millimeter" xml:lang="en-US" '
        'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
    )
    for key, value in metadata.items():
        out.write(f"<metadata name={quoteattr(key)}>{escape(value)}</metadata>")
    out.write("<resources>")
    for number, part in enumerate(parts, start=1):
        out.write(f'<object id="{number}" type="model" name={quoteattr(part.name)}><mesh>')
        # Tenths of a micrometre are far below any printer's resolution.
        out.write("<vertices>")
        out.write(_rows('<vertex x="{}" y="{}" z="{}"/>', np.round(part.vertices, 4) + 0.0))
        out.write("</vertices><triangles>")
        out.write(_rows('<triangle v1="{}" v2="{}" v3="{}"/>', part.faces))
        out.write("</triangles></mesh></object>")
    out.write("</resources><build>")
    for number in range(1, len(parts) + 1):
        out.write(f'<item objectid="{number}"/>')
    out.write("</build></model>")
    return out.getvalue().encode("utf-8")


def threemf_bytes(parts: list[Part], metadata: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in (
            ("[Content_Types].xml", _CONTENT_TYPES.encode()),
            ("_rels/.rels", _RELS.encode()),
            ("3D/3dmodel.model", model_xml(parts, metadata)),
        ):
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            # The fastest level: the default spends seconds on a large print to save a few
            # per cent of its size.
            archive.writestr(info, data, compresslevel=1)
    return buffer.getvalue()


def stl_bytes(part: Part, header: str) -> bytes:
    """Binary STL of one part; ``header`` (ASCII, cut to 80 bytes) says what it was made from."""
    corners = part.vertices[part.faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
    record = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (9,)), ("attr", "<u2")])
    data = np.zeros(len(part.faces), dtype=record)
    data["normal"] = normals
    data["corners"] = corners.reshape(-1, 9)
    head = header.encode("ascii", "replace")[:80].ljust(80, b" ")
    return head + struct.pack("<I", len(part.faces)) + data.tobytes()
