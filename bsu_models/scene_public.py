"""The public derivative of a scene: what may be shown to people who may not see the case file.

``public_document`` is the one definition of it. Public pictures are drawn from it, and media
officers read scenes only through it (``SceneService.document`` gives them nothing else).
"""

from __future__ import annotations

from dataclasses import replace

from bsu_models.scene_items import Provenance
from bsu_models.scene_model import SceneDoc


def public_document(doc: SceneDoc) -> SceneDoc:
    """The scene with every sensitive entity removed, with its positions, paths, measurements
    and sightlines that involve it, and all notes emptied."""
    public = doc
    for entity in doc.entities:
        if entity.sensitive:
            public = public.without_entity(entity.id)
    # Notes and narratives are free text written for the case file: they may name or locate
    # anyone, sensitive or not, so none of it leaves. Provenance references (statement numbers,
    # camera time codes) go too; the kind stays, with "withheld" where a reference is required.
    return replace(
        public,
        entities=tuple(replace(e, notes="") for e in public.entities),
        steps=tuple(replace(s, narrative="") for s in public.steps),
        positions=tuple(replace(p, provenance=_withheld(p.provenance)) for p in public.positions),
    )


def _withheld(provenance: Provenance) -> Provenance:
    if not provenance.reference:
        return provenance
    required = provenance.kind in ("witness_statement", "cctv")
    return Provenance(provenance.kind, "withheld" if required else "")
