"""The projections: tables derived from the ledger alone, and the appliers that keep them up to date.

One module a concept holds its tables and exports ``APPLIERS`` (event type -> applier); the wiring
(:mod:`habeas.wiring`) merges those tables into one and hands it to :func:`catalog.apply_many`. Appliers are the
only writers of these tables, live and in a rebuild alike. ``scope`` (who may see what) is applied for every entry
beside them. Importing the package imports no concept: a query pays only for the tables it reads.
"""
