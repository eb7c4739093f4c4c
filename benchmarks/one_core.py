"""Hold a benchmark to one core: pin the process before anything starts JAX or torch.

XLA's CPU client sizes its thread pool from the process's CPU affinity (with JAX 0.10 the
``XLA_FLAGS`` ``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1`` do not hold
it to one thread), and threads inherit the affinity of the thread that starts them, as
subprocesses do. So a benchmark imports this module first (standard library only) and calls
:func:`pin_to_idlest_core` before it imports NumPy, torch or JAX.
"""

from __future__ import annotations

import os
import time

ONE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def idlest_cpu(seconds: float = 0.5) -> int:
    """The CPU of this process's affinity set that was idlest over ``seconds`` (Linux)."""
    allowed = sorted(os.sched_getaffinity(0))

    def idle() -> dict[int, int]:
        out = {}
        with open("/proc/stat") as stat:
            for line in stat:
                name, *fields = line.split()
                if name.startswith("cpu") and name[3:].isdigit():
                    out[int(name[3:])] = int(fields[3]) + int(fields[4])
        return out

    try:
        before = idle()
        time.sleep(seconds)
        after = idle()
    except OSError:
        return allowed[0]
    return max(allowed, key=lambda c: after.get(c, 0) - before.get(c, 0))


def pin_to_idlest_core() -> int:
    """Pin this process to its idlest core (and add the one-thread ``XLA_FLAGS``); return the
    core, or -1 where the platform cannot pin (then nothing is changed)."""
    if not hasattr(os, "sched_setaffinity"):
        return -1
    flags = os.environ.get("XLA_FLAGS", "")
    if ONE_THREAD_XLA_FLAGS not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {ONE_THREAD_XLA_FLAGS}".strip()
    cpu = idlest_cpu()
    os.sched_setaffinity(0, {cpu})
    return cpu
