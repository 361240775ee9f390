"""Jobs: heavy work (web levels, videos) recorded as rows and run in-process or on workers.

A job is asked for (``service.JobService``), recorded in the ``jobs`` table with who asked and
an idempotency key (the SHA-256 of its kind, its parameters and its inputs' SHA-256), and run
by ``runner.execute``: in a thread of the asking process on the embedded default, or by
``bsu-models worker`` processes when ``BSU_QUEUE_URL`` names a Redis queue (``queue``). Its
start and its end are audit events; what it makes is stored as content-addressed blobs and its
rows are written with its end in one transaction, so a job killed half-way has recorded nothing
and runs again from the start on another worker.

May import: ``people``, ``court`` and the layers below them; imported by ``catalogue`` and
``cli`` (the worker command).
"""
