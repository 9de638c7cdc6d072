"""Independent pure-Python references that several test files check the kernels against.

Written from the published algorithms, not from the package code, so a test comparing the two
can fail when either is wrong.
"""

#: 2^64 - 1: Python integers wrapped to uint64.
MASK = 2 ** 64 - 1
#: The golden-ratio increment of SplitMix64, 2^64 / phi rounded to odd.
GAMMA = 0x9E3779B97F4A7C15


def splitmix64(x: int) -> int:
    """Steele, Lea & Flood (2014) / Vigna's splitmix64.c: one step from state ``x`` (uint64)."""
    z = (x + GAMMA) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)
