"""medts.heap: the glibc heap settings of the processes that hold the local LLM."""

from __future__ import annotations

import subprocess
import sys

import pytest

from medts.heap import bound_heap


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings: Linux only")
def test_bound_heap_is_taken_by_glibc():
    # CI and the development machine run glibc: mallopt must accept both settings.
    assert bound_heap() is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings: Linux only")
def test_freed_large_buffers_return_to_the_kernel_after_bound_heap():
    # Without the fixed threshold, freeing a 24 MiB mapped buffer raises glibc's mmap threshold to 24 MiB
    # and the 16 MiB buffers allocated next come from the heap, where freed pages can stay resident.
    script = """
import ctypes, ctypes.util, sys
from medts.heap import bound_heap
if sys.argv[1] == "bound":
    bound_heap()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss_kib():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0])
big = libc.malloc(24 << 20); ctypes.memset(big, 1, 24 << 20); libc.free(big)
blocks, keep = [], []
for _ in range(4):
    blocks.append(libc.malloc(16 << 20))
    ctypes.memset(blocks[-1], 1, 16 << 20)
    keep.append(libc.malloc(480 << 10))  # a live heap chunk after each: freed blocks cannot be trimmed
before = rss_kib()
for b in blocks:
    libc.free(b)
print(before - rss_kib())
"""
    released = {mode: int(subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True,
                                         check=True).stdout) for mode in ("default", "bound")}
    assert released["bound"] >= 60 * 1024  # all four 16 MiB buffers went back
    assert released["default"] <= 32 * 1024  # glibc's default kept most of them (what bound_heap prevents)
