import gc
import subprocess
import sys

import pytest

from winnow.memory import GC_THRESHOLD, tune_for_batches

# 50 times: build a batch's feature matrix (12 MB) from three parts, and free it all; print the minor page faults.
_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from winnow.memory import reuse_freed_memory
    assert reuse_freed_memory()
def batch():
    parts = [np.ones((12_000, 40)) for _ in range(3)]
    return np.hstack(parts).sum()
batch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    batch()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's (Linux)")
def test_freed_batch_memory_is_reused_instead_of_mapped_again():
    # untuned, glibc gives the freed memory back and maps it afresh for the next batch (3,000 pages of 4 KB for
    # the matrix alone, each a fault); tuned, it reuses the memory freed by the previous batch
    assert _faults("plain") > 50 * 1000
    assert _faults("tuned") < 1000


def test_tuning_raises_the_collector_threshold_once_and_cycles_are_still_collected():
    before = gc.get_threshold()
    try:
        tune_for_batches()
        assert gc.get_threshold()[0] >= GC_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
        assert tune_for_batches() is tune_for_batches()
        cycle = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.set_threshold(*before)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM and the exec behaviour are Linux's")
def test_peak_memory_is_the_process_own_not_that_of_the_process_that_started_it():
    """A child started by a parent holding 400 MiB reports its own peak: ru_maxrss would report the parent's."""
    from winnow.memory import peak_memory_mb

    held = bytearray(400 * 2**20)  # touched pages: resident in this process
    held[:: 4096] = b"x" * len(held[:: 4096])
    child = ("import resource; from winnow.memory import peak_memory_mb; "
             "print(peak_memory_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    own, maxrss = map(float, subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                                            check=True).stdout.split())
    assert peak_memory_mb() >= 400
    assert own < 200 < 400 <= maxrss  # the child's own peak; ru_maxrss carried the parent's 400 MiB through exec
    del held
