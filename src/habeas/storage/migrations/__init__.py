"""The Alembic environment of habeas: ``env.py``, the revision template and ``versions/``.

Used programmatically only (:mod:`habeas.storage.migrate` builds the ``alembic.config.Config`` in code and passes
the connection in); there is no alembic.ini. To write a new revision by hand, copy ``script.py.mako``'s shape:
revisions are frozen, so they spell out their tables and never import habeas's current table definitions.
"""
