"""What the data readers share: images held as uint8 NCHW tensors, the seeded train/validation split, the
adaptation of stored images to the model's input, batching and augmentation.

Mirrors ``src/training/dataCore.ts``; ``test/training/dataParity.test.ts`` checks that both give the same
tensors."""

import math
import os

from .errors import RunError
from .rng import Rng, js_round
from .signals import ignore_stop_signals

PRELOAD_LIMIT_BYTES = 2 * 1024 ** 3


class TensorSet:
    """Images as one uint8 [N, C, H, W] tensor plus int64 labels."""

    def __init__(self, images, labels):
        self.images = images
        self.labels = labels

    def __len__(self):
        return int(self.labels.shape[0])

    def nbytes(self):
        return self.images.numel() * self.images.element_size()

    def to(self, device):
        self.images = self.images.to(device)
        self.labels = self.labels.to(device)

    def take(self, torch, idx):
        i = torch.as_tensor(idx, dtype=torch.long, device=self.images.device)
        return self.images.index_select(0, i), self.labels.index_select(0, i)


    @property
    def shape(self):
        return tuple(self.images.shape[1:])


def batch_stream(torch, ds, batches, cfg, cuda):
    """Index-addressable sets (``take``) are batched in place; file sets go through loader processes."""
    if hasattr(ds, "take"):
        return (ds.take(torch, b) for b in batches)
    from torch.utils.data import DataLoader

    workers = cfg.get("workers")
    if not isinstance(workers, int) or workers < 0:
        workers = min(4, max(0, (os.cpu_count() or 1) - 1))
    return iter(DataLoader(ds, batch_sampler=batches, num_workers=workers, pin_memory=cuda,
                           worker_init_fn=ignore_stop_signals if workers else None))


def split_indices(torch, n, val_split, seed):
    """(train, val) index tensors: the TF.js runner's split (``splitSet``), from the shared generator."""
    perm = torch.tensor(Rng(seed * 31 + 7).permutation(torch, n), dtype=torch.long)
    n_val = int(round(n * val_split))
    if val_split > 0 and n_val == 0 and n > 1:
        n_val = 1
    return perm[n_val:], perm[:n_val]


def split_tensor(torch, images, labels, val_split, seed):
    tr, va = split_indices(torch, len(labels), val_split, seed)
    val = TensorSet(images[va], labels[va]) if len(va) else None
    return TensorSet(images[tr], labels[tr]), val


def resize_uint8(torch, images, c, h, w):
    """Adapts stored uint8 [N, C, H, W] images to the model's input: channel count (grey <-> RGB) and size
    (bilinear with half-pixel centres, as ``interpolate(align_corners=False)`` without antialiasing).

    The arithmetic is ``adaptImage``'s in ``src/training/dataCore.ts``, operation for operation in float64 with
    its rounding (halves up), so both runners adapt an image to the same bytes."""
    if images.shape[1] != c:
        f = images.double()
        if c == 1 and images.shape[1] == 3:
            f = (0.299 * f[:, 0:1] + 0.587 * f[:, 1:2]) + 0.114 * f[:, 2:3]
        elif images.shape[1] == 1:
            f = f.expand(-1, c, -1, -1)
        else:
            raise RunError("the images have %d channels; the model wants %d" % (images.shape[1], c))
        images = js_round(torch, f).clamp(0, 255).to(torch.uint8)
    n, _, in_h, in_w = images.shape
    if (in_h, in_w) == (h, w):
        return images
    y0, y1, ty = bilinear_taps(torch, in_h, h)
    x0, x1, tx = bilinear_taps(torch, in_w, w)
    ty, tx = ty.view(h, 1), tx.view(1, w)
    out = torch.empty(n, c, h, w, dtype=torch.uint8)
    chunk = max(1, (1 << 22) // (c * max(h * w, in_h * in_w)))
    for s in range(0, n, chunk):
        part = images[s:s + chunk].double()
        top, bottom = part[:, :, y0], part[:, :, y1]
        a, b, cc, d = top[..., x0], top[..., x1], bottom[..., x0], bottom[..., x1]
        v = (a * (1 - tx) + b * tx) * (1 - ty) + (cc * (1 - tx) + d * tx) * ty
        out[s:s + chunk] = js_round(torch, v).clamp(0, 255).to(torch.uint8)
    return out


def bilinear_taps(torch, size, to):
    """Source indices and weights along one axis: ``adaptImage``'s fy, y0, y1 and ty."""
    f = ((torch.arange(to, dtype=torch.float64) + 0.5) * (size / to) - 0.5).clamp_min(0)
    i0 = f.floor().long().clamp_max(size - 1)
    i1 = (i0 + 1).clamp_max(size - 1)
    return i0, i1, f - i0.double()


def augment(torch, x):
    """Random crop with zero padding (an eighth of the side) and a horizontal flip, per image, on x's device."""
    n, c, h, w = x.shape
    ph, pw = max(1, h // 8), max(1, w // 8)
    padded = torch.nn.functional.pad(x, (pw, pw, ph, ph))
    oy = torch.randint(0, 2 * ph + 1, (n, 1), device=x.device)
    ox = torch.randint(0, 2 * pw + 1, (n, 1), device=x.device)
    rows = (oy + torch.arange(h, device=x.device)).view(n, 1, h, 1)
    cols = (ox + torch.arange(w, device=x.device)).view(n, 1, 1, w)
    flip = torch.rand(n, device=x.device) < 0.5
    cols = torch.where(flip.view(n, 1, 1, 1), cols.flip(3), cols)
    bi = torch.arange(n, device=x.device).view(n, 1, 1, 1)
    ci = torch.arange(c, device=x.device).view(1, c, 1, 1)
    return padded[bi, ci, rows, cols]


def stats_sample_size(n, c, h, w):
    """How many training images the channel statistics read: all of a small set, fewer as images grow
    (``channelStats`` in ``src/training/dataCore.ts`` takes the same number)."""
    return min(n, max(16, min(4096, (1 << 26) // max(1, c * h * w))))


def channel_stats(torch, ds):
    """Per-channel mean/std (0..1 scale, float64) over evenly spaced training images, as ``channelStats``
    computes them. Image files read per batch are sampled more sparsely (at most 256), since each one is a
    decode; the TF.js runner never streams."""
    n = len(ds)
    c, h, w = ds.shape
    take = stats_sample_size(n, c, h, w) if hasattr(ds, "take") else min(n, 256)
    idx = [int(math.floor(t * (n / take))) for t in range(take)]
    total = torch.zeros(c, dtype=torch.float64)
    squares = torch.zeros(c, dtype=torch.float64)
    chunk = max(1, (1 << 22) // max(1, c * h * w))
    for s in range(0, take, chunk):
        part = idx[s:s + chunk]
        if hasattr(ds, "take"):
            images = ds.take(torch, part)[0]
        else:
            images = torch.stack([ds[i][0] for i in part])
        v = images.double() / 255
        total += v.sum(dim=(0, 2, 3)).cpu()
        squares += (v * v).sum(dim=(0, 2, 3)).cpu()
    count = take * h * w
    mean = total / count
    var = (squares / count - mean ** 2).clamp_min(0) * (count / max(1, count - 1))
    return mean, var.sqrt().clamp_min(1e-3)
