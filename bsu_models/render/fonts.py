"""Fonts for text drawn into pictures (labels, legends, captions, watermarks).

Text may be English, Traditional Chinese or both, so the font must cover CJK: by default Noto
Sans CJK from Debian's ``fonts-noto-cjk`` (installed by ``scripts/setup.sh``), using the Hong
Kong face of the collection, which has the HKSCS characters (e.g. 㗎, 嘅). ``BSU_FONT_FILE``
names another font file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

from bsu_models.core.errors import InvalidSetting

SEARCH = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
BOLD_SEARCH = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",)
PREFERRED_FACES = ("HK", "TC")


def _face_index(path: str) -> int:
    """Index of the Hong Kong (else Traditional Chinese) face in a font collection."""
    if not path.lower().endswith(".ttc"):
        return 0
    names = []
    for index in range(32):
        try:
            names.append(ImageFont.truetype(path, 12, index=index).getname()[0] or "")
        except OSError:
            break
    for wanted in PREFERRED_FACES:
        for index, name in enumerate(names):
            if name.endswith(f" {wanted}") and "Mono" not in name:
                return index
    return 0


@cache
def font_path(configured: str = "", bold: bool = False) -> tuple[str, int]:
    """(path, face index) of the font to draw with."""
    if configured:
        if not Path(configured).is_file():
            raise InvalidSetting("BSU_FONT_FILE {path!r} is not a file.", path=configured)
        return configured, _face_index(configured)
    for candidate in (*(BOLD_SEARCH if bold else ()), *SEARCH):
        if Path(candidate).is_file():
            return candidate, _face_index(candidate)
    raise InvalidSetting(
        "No font covering Chinese was found; install Debian's fonts-noto-cjk "
        "(scripts/setup.sh does) or set BSU_FONT_FILE."
    )


@cache
def font(size: int, configured: str = "", bold: bool = False) -> ImageFont.FreeTypeFont:
    path, index = font_path(configured, bold)
    return ImageFont.truetype(path, size, index=index)
