"""glibc mmap threshold for long recordings (neurosim.memory): large buffers freed after use go
back to the OS instead of staying in (and fragmenting) the heap."""

import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import ctypes, sys
    from neurosim.memory import limit_heap_fragmentation
    class MI2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                    "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MI2
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    applied = limit_heap_fragmentation() if sys.argv[1] == "on" else False
    p = libc.malloc(8 << 20); libc.free(p)  # freeing an mmapped 8 MiB block raises glibc's threshold
    before = libc.mallinfo2().hblkhd
    q = libc.malloc(4 << 20)  # a chunk-sized buffer: heap or mmap?
    mmapped = libc.mallinfo2().hblkhd - before >= 4 << 20
    libc.free(q)
    print(int(applied), int(mmapped))
""")


def _probe(mode, **extra_env):
    # glibc's defaults: no MALLOC_* settings (a Dask LocalCluster exports MALLOC_TRIM_THRESHOLD_
    # into its parent's environment, which alone disables the dynamic threshold) and no tunables
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"} | extra_env
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True,
                         env=env, cwd=root)
    return tuple(int(x) for x in out.stdout.split())


glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
                           reason="glibc allocator only")


@glibc
def test_buffers_freed_after_use_go_to_mmap_once_limited():
    assert _probe("off") == (0, 0)  # glibc's dynamic threshold: the 4 MiB block is heap
    assert _probe("on") == (1, 1)   # fixed 1 MiB threshold: it is mmapped


@glibc
def test_a_threshold_set_by_the_user_is_left_alone():
    applied, _ = _probe("on", MALLOC_MMAP_THRESHOLD_="65536")
    assert applied == 0
