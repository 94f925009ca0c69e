"""Memory management for processes that clean page after page (`winnow clean`, `winnow predict`, datatrove).

Two process-wide settings, applied once by :func:`tune_for_batches`; results never depend on them, only speed:

* **glibc keeps freed memory for reuse.** Cleaning a batch of pages allocates and frees the same large arrays
  again and again (a batch's feature matrix is some 12 MB). glibc serves such requests with fresh ``mmap``
  pages and gives them back on free, so every batch paid the kernel to map and zero the same memory: about a
  tenth of cleaning's CPU time went to page faults. Raising the allocator's ``mmap`` and trim thresholds keeps
  that memory in its heap for the next batch; peak memory stays that of the largest batch.
* **The cyclic garbage collector runs less often.** A page makes hundreds of short-lived tuples and lists, so
  the collector's first generation filled every few pages, and each collection of the older generations walks
  every object alive (the model, spaCy's vocabulary, the tokenizer cache). A first-generation threshold of
  :data:`GC_THRESHOLD` allocations instead of 700 makes collections 30 times rarer; unreachable cycles are
  still collected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from functools import lru_cache

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # the largest value glibc accepts on 64-bit systems: requests below it use the heap
TRIM_THRESHOLD = 512 * 2**20  # free heap memory kept before any is given back to the system
GC_THRESHOLD = 20_000


@lru_cache(maxsize=1)
def tune_for_batches() -> bool:
    """Apply both settings (see the module docstring) to this process, once; return whether the allocator took
    its setting (False where the C library is not glibc: the collector's setting applies anyway)."""
    first, *older = gc.get_threshold()
    gc.set_threshold(max(first, GC_THRESHOLD), *older)
    return reuse_freed_memory()


def reuse_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds; False where the C library is not glibc or refuses."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def peak_memory_mb() -> float | None:
    """This process's peak resident memory so far, in MiB (None where the platform does not report it).

    On Linux, the kernel's high-water mark of this process's own memory (``VmHWM``): ``ru_maxrss`` keeps the size
    of the process it was started from, as it was before the exec (a child of a 1 GiB parent reported 1 GiB).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 2**10, 1)  # kB
    except (OSError, ValueError, IndexError):  # no /proc (macOS), or a format this does not know
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)
