"""Reading PLY files whose faces come as triangle strips (``element tristrips``).

trimesh reads PLY faces but not ``tristrips``, and its binary reader refuses strips of unequal
length, so binary strip files are read here: ``read_ply_with_strips(data)`` returns
``vertices: (n, 3) float64`` and ``faces: (m, 3) int64``. Runs only inside the parser process.
"""

from __future__ import annotations

import numpy as np

from bsu_models.core.errors import InvalidMesh

_SCALARS = {
    "char": "i1",
    "int8": "i1",
    "uchar": "u1",
    "uint8": "u1",
    "short": "i2",
    "int16": "i2",
    "ushort": "u2",
    "uint16": "u2",
    "int": "i4",
    "int32": "i4",
    "uint": "u4",
    "uint32": "u4",
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
}


def _dtype(name: bytes, order: str, label: str) -> np.dtype:
    key = name.decode("ascii", "replace")
    if key not in _SCALARS:
        raise InvalidMesh(
            "{label}: PLY property type {type!r} is not known.", label=label, type=key
        )
    return np.dtype(order + _SCALARS[key])


def _parse_header(data: bytes, label: str) -> tuple[str, list[tuple[str, int, list]], int]:
    end = data.find(b"end_header")
    if end < 0:
        raise InvalidMesh("{label}: the PLY header has no end_header line.", label=label)
    body = data.find(b"\n", end) + 1
    encoding = ""
    elements: list[tuple[str, int, list]] = []
    for line in data[:end].splitlines():
        parts = line.split()
        if not parts or parts[0] in (b"comment", b"obj_info", b"ply"):
            continue
        if parts[0] == b"format":
            encoding = parts[1].decode("ascii", "replace")
        elif parts[0] == b"element":
            elements.append((parts[1].decode("ascii", "replace"), int(parts[2]), []))
        elif parts[0] == b"property" and elements:
            elements[-1][2].append(parts[1:])
    return encoding, elements, body


def triangles_from_strips(rows: list[np.ndarray]) -> np.ndarray:
    """(m, 3) int64 triangles from strips (each a row of indices; -1 restarts a strip)."""
    if not rows:
        return np.zeros((0, 3), dtype=np.int64)
    flat = np.concatenate([np.append(np.asarray(r, dtype=np.int64).ravel(), -1) for r in rows])
    if len(flat) < 3:
        return np.zeros((0, 3), dtype=np.int64)
    a, b, c = flat[:-2], flat[1:-1], flat[2:]
    # Position of each window inside its strip decides the winding: odd windows flip.
    starts = np.where(flat == -1, np.arange(len(flat)) + 1, 0)
    starts = np.maximum.accumulate(np.concatenate([[0], starts[:-1]]))
    parity = ((np.arange(len(flat)) - starts)[:-2]) % 2
    keep = (a >= 0) & (b >= 0) & (c >= 0) & (a != b) & (b != c) & (a != c)
    tris = np.where(parity[:, None] == 0, np.stack([a, b, c], 1), np.stack([b, a, c], 1))
    return tris[keep]


def read_ply_with_strips(data: bytes, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and strip triangles of a PLY file (ASCII or binary)."""
    encoding, elements, offset = _parse_header(data, label)
    if encoding not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise InvalidMesh(
            "{label}: PLY format {format!r} is not known.", label=label, format=encoding
        )
    order = "<" if encoding == "binary_little_endian" else ">"
    tokens = data[offset:].split() if encoding == "ascii" else None
    cursor = 0
    vertices = np.zeros((0, 3))
    strips: list[np.ndarray] = []

    def take_ascii(count: int) -> list[bytes]:
        nonlocal cursor
        assert tokens is not None
        if cursor + count > len(tokens):
            raise InvalidMesh("{label}: the PLY file ends early (truncated).", label=label)
        chunk = tokens[cursor : cursor + count]
        cursor += count
        return chunk

    def take_binary(dtype: np.dtype, count: int) -> np.ndarray:
        nonlocal cursor
        size = dtype.itemsize * count
        if offset + cursor + size > len(data):
            raise InvalidMesh("{label}: the PLY file ends early (truncated).", label=label)
        values = np.frombuffer(data, dtype=dtype, count=count, offset=offset + cursor)
        cursor += size
        return values

    for name, count, props in elements:
        scalar = all(p[0] != b"list" for p in props)
        if scalar:
            fields = [(p[1].decode("ascii", "replace"), _dtype(p[0], order, label)) for p in props]
            record = np.dtype(fields)
            if tokens is not None:
                flat = np.array(take_ascii(count * len(fields)), dtype=np.float64)
                table = flat.reshape(count, len(fields))
                columns = {f[0]: table[:, i] for i, f in enumerate(fields)}
            else:
                table = take_binary(record, count)
                columns = {f[0]: table[f[0]] for f in fields}
            if name == "vertex":
                if not all(k in columns for k in "xyz"):
                    raise InvalidMesh("{label}: PLY vertices lack x, y or z.", label=label)
                vertices = np.column_stack([columns[k].astype(np.float64) for k in "xyz"])
            continue
        for _ in range(count):
            for prop in props:
                if prop[0] != b"list":
                    (
                        take_ascii(1)
                        if tokens is not None
                        else take_binary(_dtype(prop[0], order, label), 1)
                    )
                    continue
                count_type, item_type = _dtype(prop[1], order, label), _dtype(prop[2], order, label)
                if tokens is not None:
                    length = int(take_ascii(1)[0])
                    items = np.array(take_ascii(length), dtype=np.int64)
                else:
                    length = int(take_binary(count_type, 1)[0])
                    items = take_binary(item_type, length).astype(np.int64)
                if length < 0:
                    raise InvalidMesh("{label}: a PLY list has a negative length.", label=label)
                if name == "tristrips":
                    strips.append(items)
    return vertices, triangles_from_strips(strips)
