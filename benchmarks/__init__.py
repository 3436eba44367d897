"""The habeas benchmark: habeas against eventsourcing and the raw database limit, side by side in one run.

``python -m benchmarks`` runs it all (``--quick`` for a smaller run, ``--only sqlite|postgres`` for one
backend), prints the figures and the issue's targets as PASS/FAIL, and writes ``bench-out/results.json``. The
method and the figures of a full run are in docs/benchmarks.md.
"""
