"""The seeded generator both runners share: mulberry32, exactly as ``Rng`` in ``src/training/dataCore.ts``.

The train/validation split and the synthetic images come from it, so both backends split and draw the same
data from the same seed, on every platform and torch version (torch's own generators promise neither).
mulberry32's state only advances by a constant, so the k-th draw is a function of k alone: a whole block of
draws is computed at once, as int64 tensor arithmetic on 32-bit values, on whichever device needs them.
"""

import math

_M32 = 0xFFFFFFFF
_STEP = 0x6D2B79F5


def _imul(torch, a, b):
    """JavaScript's Math.imul on uint32 values held in int64, without overflowing int64."""
    lo = a * (b & 0xFFFF)
    hi = ((a * (b >> 16)) & 0xFFFF) << 16
    return (lo + hi) & _M32


class Rng:
    """A stream of uniform draws in [0, 1); each call consumes as many draws as it returns."""

    def __init__(self, seed):
        # JavaScript computes (seed * 0x9e3779b1) >>> 0 on doubles: the same rounding, then modulo 2^32.
        s = math.trunc(float(seed) * float(0x9E3779B1)) % (1 << 32)
        self.state = s or _STEP
        self.used = 0

    def uniform_at(self, torch, index, device=None):
        """The draws at 0-based stream positions ``index`` (an int64 tensor), as float64, without consuming."""
        index = torch.as_tensor(index, dtype=torch.long, device=device)
        t = (self.state + ((index + 1) & _M32) * _STEP) & _M32
        t = _imul(torch, t ^ (t >> 15), t | 1)
        t = t ^ ((t + _imul(torch, t ^ (t >> 7), t | 61)) & _M32)
        t = t ^ (t >> 14)
        return t.double() / 4294967296.0

    def uniform(self, torch, count):
        """The next ``count`` draws, as a float64 tensor (CPU)."""
        out = self.uniform_at(torch, torch.arange(self.used, self.used + count, dtype=torch.long))
        self.used += count
        return out

    def skip(self, count):
        self.used += count

    def permutation(self, torch, n):
        """A random permutation of 0..n-1 as a list (Fisher-Yates from the top, as the TypeScript one)."""
        p = list(range(n))
        if n < 2:
            return p
        u = self.uniform(torch, n - 1)
        i = torch.arange(n - 1, 0, -1, dtype=torch.float64)
        js = (u * (i + 1)).floor().long().tolist()
        for i, j in zip(range(n - 1, 0, -1), js):
            p[i], p[j] = p[j], p[i]
        return p


def normal_at(torch, rng, index):
    """Box-Muller normals from the draw pairs at ``index`` and ``index + 1``, as ``Rng.normal()`` computes them."""
    u = 1 - rng.uniform_at(torch, index)
    v = rng.uniform_at(torch, index + 1)
    return torch.sqrt(-2 * torch.log(u)) * torch.cos((2 * math.pi) * v)


def js_round(torch, x):
    """JavaScript's Math.round for x >= 0 (halves go up; torch.round takes them to even)."""
    r = torch.floor(x)
    return r + ((x - r) >= 0.5).to(x.dtype)
