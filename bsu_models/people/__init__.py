"""People: accounts and
sign-in, case membership and its requests, password resets, and public posts with their
two-person approval.

May import: ``bsu_models.core``, ``bsu_models.ingest``, ``bsu_models.scenes`` and
``bsu_models.render`` (a post's public picture); not ``bsu_models.court``.
"""
