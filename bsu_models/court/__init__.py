"""What goes to court: freezing a scene into an exhibit package, its content, facts and words,
the exhibit book (PDF layout), BagIt writing, reading and verifying, and the offline viewer
(page, embedded modules and ``offline_viewer.js``).

May import: ``bsu_models.core``, ``bsu_models.ingest``, ``bsu_models.scenes`` and
``bsu_models.render``; not ``bsu_models.people``.
"""
