"""Printable physical models: a model version at 1:N of the real world made into closed,
manifold solids (``solid``), checked against the printer's minimum wall (``walls``), on a base
plate with the case reference, scale, north arrow and scale bar in relief (``base_plate``,
``relief``), cut into bed-sized tiles with alignment pins (``tiles``), written as 3MF or STL
(``print_files``) with a print report and an audit event (``service``).

May import: ``bsu_models.core``, ``bsu_models.ingest`` (geometry), ``bsu_models.scenes`` and
``bsu_models.render`` (the pictures' font, the version's stored geometry).
"""
