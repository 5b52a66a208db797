"""Built-in synthetic data, drawn where it is used. Mirrors ``src/training/dataSynthetic.ts``."""

from .data_core import TensorSet, split_indices


class SyntheticSet:
    """Images drawn on demand: each class is a smooth random colour pattern, and a sample is a shifted,
    rescaled copy of its class's pattern plus noise.

    Only per-sample parameters (a few numbers each) and a small bank of noise fields are stored; a batch is
    drawn where it is used (on the GPU, when training there), so even 224x224 data sets start instantly and
    cost no memory (sets that fit are still drawn once up front, see ``materialize``). Deterministic in (seed,
    size, shape, classes). A small ResNet learns it within a few epochs, and so does a linear classifier on the
    raw pixels: it shows that training works end to end, it says nothing about how good a model is."""

    GRID = 4
    BANK = 64

    def __init__(self, torch, n, c, h, w, classes, seed):
        g = torch.Generator().manual_seed(seed * 7919 + 17)
        self.shape = (c, h, w)
        self.coarse = torch.rand(classes, c, self.GRID, self.GRID, generator=g)
        self.colour = torch.rand(classes, c, 1, 1, generator=g)
        labels = torch.arange(n) % classes
        self.labels = labels[torch.randperm(n, generator=g)]
        sh, sw = max(1, h // 8), max(1, w // 8)
        self.dy = torch.randint(-sh, sh + 1, (n,), generator=g)
        self.dx = torch.randint(-sw, sw + 1, (n,), generator=g)
        self.contrast = 0.6 + 0.8 * torch.rand(n, generator=g)
        self.brightness = 0.3 * (torch.rand(n, generator=g) - 0.5)
        self.noise = torch.randint(0, self.BANK, (n,), generator=g)
        self.ny = torch.randint(0, h, (n,), generator=g)
        self.nx = torch.randint(0, w, (n,), generator=g)
        self.bank = 0.3 * torch.randn(self.BANK, c, h, w, generator=g)

    _PER_SAMPLE = ("labels", "dy", "dx", "contrast", "brightness", "noise", "ny", "nx")

    def __len__(self):
        return int(self.labels.shape[0])

    def subset(self, idx):
        out = object.__new__(SyntheticSet)
        out.__dict__.update(self.__dict__)
        for name in self._PER_SAMPLE:
            setattr(out, name, getattr(self, name)[idx])
        return out

    def to(self, device):
        for name in self._PER_SAMPLE + ("coarse", "colour", "bank"):
            setattr(self, name, getattr(self, name).to(device))

    def nbytes(self):
        c, h, w = self.shape
        return len(self) * c * h * w

    def materialize(self, torch):
        """Draws every image once (where this set lives) into a TensorSet: a batch is then one index away."""
        c, h, w = self.shape
        n = len(self)
        images = torch.empty(n, c, h, w, dtype=torch.uint8, device=self.labels.device)
        chunk = max(1, (1 << 25) // (c * h * w))
        for s in range(0, n, chunk):
            images[s:s + chunk] = self.take(torch, torch.arange(s, min(n, s + chunk), device=self.labels.device))[0]
        return TensorSet(images, self.labels.clone())

    def take(self, torch, idx):
        i = torch.as_tensor(idx, dtype=torch.long, device=self.labels.device)
        c, h, w = self.shape
        m = i.shape[0]
        lab = self.labels[i]
        dev = lab.device
        base = torch.nn.functional.interpolate(self.coarse[lab], size=(h, w), mode="bilinear", align_corners=False)
        base = 0.6 * base + 0.4 * self.colour[lab]
        ar_h, ar_w = torch.arange(h, device=dev), torch.arange(w, device=dev)
        mi = torch.arange(m, device=dev).view(m, 1, 1, 1)
        ci = torch.arange(c, device=dev).view(1, c, 1, 1)
        rows = (ar_h.view(1, h) - self.dy[i].view(m, 1)).clamp(0, h - 1).view(m, 1, h, 1)
        cols = (ar_w.view(1, w) - self.dx[i].view(m, 1)).clamp(0, w - 1).view(m, 1, 1, w)
        base = base[mi, ci, rows, cols]
        # Noise: a bank field, circularly shifted per sample, so that no two samples share a pattern.
        nrows = ((ar_h.view(1, h) + self.ny[i].view(m, 1)) % h).view(m, 1, h, 1)
        ncols = ((ar_w.view(1, w) + self.nx[i].view(m, 1)) % w).view(m, 1, 1, w)
        noise = self.bank[self.noise[i].view(m, 1, 1, 1), ci, nrows, ncols]
        x = (base - 0.5) * self.contrast[i].view(m, 1, 1, 1) + 0.5 + self.brightness[i].view(m, 1, 1, 1) + noise
        return (x.clamp(0, 1) * 255).round().to(torch.uint8), lab


def split_synthetic(torch, ds, val_split, seed):
    tr, va = split_indices(torch, len(ds), val_split, seed)
    return ds.subset(tr), (ds.subset(va) if len(va) else None)
