"""Fixtures shared by the tests of the sigmalang package (test_core.py, test_open.py,
test_errors.py): the data they compress and its encoding in small segments."""

from __future__ import annotations

import pytest

import sigmalang
from helpers import mixed


@pytest.fixture(scope="module")
def data() -> bytes:
    return mixed(200_000)


@pytest.fixture(scope="module")
def small_segments(data):
    """`data` encoded in 4 KiB segments (about 50 of them)."""
    return sigmalang.compress(data, segment_size=4096)
