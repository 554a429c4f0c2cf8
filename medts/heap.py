"""Keep the C heap from holding freed memory in the processes that also hold the local LLM.

``medts chat`` and the app keep SmolLM2's weights (about 257 MiB) resident beside torch,
NeuroKit2 and the record's analysis, which leaves little room under the 1 GB per process that
issue 19 sets. Two glibc defaults hold freed memory there for no benefit to us:

- the *dynamic mmap threshold*: after a large numpy/torch buffer is freed, glibc raises the size
  from which it maps buffers separately (up to 32 MiB), so later buffers of reading, filtering and
  classifying a long record come from the heap and stay in the process after they are freed;
- *one arena per thread*: the model loads in a background thread and generates in another, each
  with its own arena of freed-but-kept pages.

:func:`bound_heap` fixes the threshold at 512 KiB (large buffers always go back to the kernel
when freed) and caps the arenas at 2. Measured on a 60-minute 12-lead record (``medts chat -q``,
peak RSS): about 40 MiB lower (eval/results/robustness.md). Elsewhere (macOS, musl) it does
nothing: their allocators have neither setting.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter numbers (malloc.h)."""

MMAP_THRESHOLD_BYTES = 512 * 1024
MAX_ARENAS = 2


def bound_heap() -> bool:
    """Apply the settings above to this process (call it before threads start); True where the
    C library is glibc and took both, False where it has no such settings."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt") or not hasattr(libc, "gnu_get_libc_version"):
        return False  # not glibc (e.g. musl): no such settings
    applied = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    return libc.mallopt(M_ARENA_MAX, MAX_ARENAS) == 1 and applied
