"""Clearance pauses the cyclic garbage collector (services/clearance.py); the collector is one for the process and
a server clears manifests on several threads at once, so overlapping pauses must leave it as the first found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from habeas.services.clearance import _CollectorPause


@pytest.fixture
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_restored")
def test_overlapping_pauses_end_with_the_collector_running() -> None:
    gc.enable()
    pause = _CollectorPause()
    first, second = pause(), pause()
    first.__enter__()
    second.__enter__()  # a second clearance on another thread, begun while the first runs
    assert not gc.isenabled()
    first.__exit__(None, None, None)  # the first ends before the second: still paused
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_a_collector_paused_already_stays_paused() -> None:
    gc.disable()
    pause = _CollectorPause()
    with pause():
        assert not gc.isenabled()
    assert not gc.isenabled()
