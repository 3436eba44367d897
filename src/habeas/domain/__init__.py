"""The pure domain: standard library only, no clock, no I/O.

Each concept is a module of its own (``people``, ``legal``, ``custody``, ``manifests``...); importing this package
imports none of them, so an entry point pays only for the concepts it uses. Event classes are found by their type
when an entry is decoded (:data:`habeas.domain.events.HOMES`).
"""
