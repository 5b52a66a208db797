"""Built-in synthetic data: the TF.js runner's recipe (``src/training/dataSynthetic.ts``) and random stream,
so both runners train on the same images for the same seed. Each class is a smooth random colour pattern;
every sample is a shifted, rescaled, brightened copy of its class pattern plus one of a small bank of noise
fields, circularly shifted per sample. A small ResNet learns it within a few epochs, and so does a linear
classifier on the raw pixels: it shows that training works end to end, it says nothing about how good a
model is.

Only the class patterns, the noise bank and a few numbers per sample are stored; a batch is drawn where it is
used (on the GPU, when training there), so even 224x224 data sets start at once and cost no memory (sets that
fit are still drawn once up front, see ``materialize``). The arithmetic is the TypeScript's, in float64 with
its rounding, so both give the same bytes.
"""

from .data_core import TensorSet, bilinear_taps, split_indices
from .rng import Rng, js_round, normal_at

GRID = 4


class SyntheticSet:
    """``n`` images of c x h x w in ``classes`` balanced classes, deterministic in all arguments."""

    BANK = 64

    _PER_SAMPLE = ("labels", "dy", "dx", "contrast", "brightness", "noise", "ny", "nx")

    def __init__(self, torch, n, c, h, w, classes, seed, device=None):
        rng = Rng(seed * 7919 + 17)
        self.shape = (c, h, w)
        # Per class: c GRID x GRID coarse values, then c colour values.
        draws = rng.uniform(torch, classes * (GRID * GRID + 1) * c).view(classes, -1)
        coarse = draws[:, :GRID * GRID * c].reshape(classes, c, GRID, GRID)
        colour = draws[:, GRID * GRID * c:].reshape(classes, c, 1, 1)
        y0, y1, ty = bilinear_taps(torch, GRID, h)
        x0, x1, tx = bilinear_taps(torch, GRID, w)
        ty, tx = ty.view(h, 1), tx.view(1, w)
        top, bottom = coarse[:, :, y0], coarse[:, :, y1]
        v = (top[..., x0] * (1 - tx) + top[..., x1] * tx) * (1 - ty) + \
            (bottom[..., x0] * (1 - tx) + bottom[..., x1] * tx) * ty
        # The TypeScript side keeps its patterns in a Float32Array.
        self.protos = (0.6 * v + 0.4 * colour).float().double()
        order = torch.tensor(rng.permutation(torch, n), dtype=torch.long)
        labels = torch.empty(n, dtype=torch.long)
        labels[order] = torch.arange(n) % classes
        self.labels = labels
        # Seven draws per sample: dy, dx, contrast, brightness, noise field, noise row and column offsets.
        u = rng.uniform(torch, 7 * n).view(n, 7)
        sh, sw = max(1, h // 8), max(1, w // 8)

        def ints(col, lo, hi):
            return (u[:, col] * (hi - lo + 1)).floor().long() + lo

        self.dy, self.dx = ints(0, -sh, sh), ints(1, -sw, sw)
        self.contrast = 0.6 + 0.8 * u[:, 2]
        self.brightness = 0.3 * (u[:, 3] - 0.5)
        self.noise, self.ny, self.nx = ints(4, 0, self.BANK - 1), ints(5, 0, h - 1), ints(6, 0, w - 1)
        # The bank, value by value in (field, y, x, channel) order: on the training device, since at 224x224 it
        # is some ten million normals.
        at = rng.used + 2 * torch.arange(self.BANK * h * w * c, device=device)
        self.bank = (0.3 * normal_at(torch, rng, at)).view(self.BANK, h, w, c).permute(0, 3, 1, 2).contiguous()
        if device is not None:
            self.to(device)

    def __len__(self):
        return int(self.labels.shape[0])

    def subset(self, idx):
        out = object.__new__(SyntheticSet)
        out.__dict__.update(self.__dict__)
        for name in self._PER_SAMPLE:
            setattr(out, name, getattr(self, name)[idx])
        return out

    def to(self, device):
        for name in self._PER_SAMPLE + ("protos", "bank"):
            setattr(self, name, getattr(self, name).to(device))

    def nbytes(self):
        c, h, w = self.shape
        return len(self) * c * h * w

    def materialize(self, torch):
        """Draws every image once (where this set lives) into a TensorSet: a batch is then one index away."""
        c, h, w = self.shape
        n = len(self)
        images = torch.empty(n, c, h, w, dtype=torch.uint8, device=self.labels.device)
        chunk = max(1, (1 << 22) // (c * h * w))
        for s in range(0, n, chunk):
            images[s:s + chunk] = self.take(torch, torch.arange(s, min(n, s + chunk), device=self.labels.device))[0]
        return TensorSet(images, self.labels.clone())

    def take(self, torch, idx):
        i = torch.as_tensor(idx, dtype=torch.long, device=self.labels.device)
        c, h, w = self.shape
        m = i.shape[0]
        lab = self.labels[i]
        dev = lab.device
        ar_h, ar_w = torch.arange(h, device=dev), torch.arange(w, device=dev)
        ci = torch.arange(c, device=dev).view(1, c, 1, 1)
        rows = (ar_h.view(1, h) - self.dy[i].view(m, 1)).clamp(0, h - 1).view(m, 1, h, 1)
        cols = (ar_w.view(1, w) - self.dx[i].view(m, 1)).clamp(0, w - 1).view(m, 1, 1, w)
        base = self.protos[lab.view(m, 1, 1, 1), ci, rows, cols]
        nrows = ((ar_h.view(1, h) + self.ny[i].view(m, 1)) % h).view(m, 1, h, 1)
        ncols = ((ar_w.view(1, w) + self.nx[i].view(m, 1)) % w).view(m, 1, 1, w)
        noise = self.bank[self.noise[i].view(m, 1, 1, 1), ci, nrows, ncols]
        x = (base - 0.5) * self.contrast[i].view(m, 1, 1, 1) + 0.5 + self.brightness[i].view(m, 1, 1, 1) + noise
        return js_round(torch, x.clamp(0, 1) * 255).to(torch.uint8), lab


def split_synthetic(torch, ds, val_split, seed):
    tr, va = split_indices(torch, len(ds), val_split, seed)
    return ds.subset(tr), (ds.subset(va) if len(va) else None)
