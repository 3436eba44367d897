"""How big a run is. The full run is what docs/benchmarks.md reports; ``--quick`` is a smoke run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    small: int  # entries already in the log for the "small" point (the 10^4)
    big: int  # ... and for the "big" point (the 10^6); also the verified log
    single: int  # entries appended one at a time, per repetition
    concurrent: int  # entries appended by the 32 producers together, per repetition
    batched: int  # entries appended in batches of 1,000, per repetition
    reps: int  # repetitions of every append measurement; the median is reported
    proof_sizes: tuple[int, ...]
    proofs: int  # timed proofs of each kind at each size
    prepare: int  # entries encoded for the prepare_entry line
    gate_sizes: tuple[int, ...] = (261, 10_000)  # people on one manifest (benchmarks/gates.py)
    gate_reps: int = 3  # timed clearances at each size; the median is reported
    demo_runs: int = 3  # `habeas demo` subprocess runs; the median is reported

    @property
    def name(self) -> str:
        return "full" if self is FULL else "quick" if self is QUICK else "custom"


FULL = Config(
    small=10_000,
    big=1_000_000,
    single=1_000,
    concurrent=4_000,
    batched=20_000,
    reps=3,
    proof_sizes=(10_000, 100_000, 1_000_000),
    proofs=1_000,
    prepare=50_000,
)

QUICK = Config(
    small=10_000,
    big=100_000,
    single=200,
    concurrent=1_000,
    batched=5_000,
    reps=1,
    proof_sizes=(10_000, 100_000),
    proofs=300,
    prepare=10_000,
    gate_sizes=(261, 2_000),
    gate_reps=1,
    demo_runs=1,
)
