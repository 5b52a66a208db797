"""CIFAR-10 binary batches: ``data_batch_*.bin`` (each record one label byte and 3x32x32 planar pixels) and,
when present, ``test_batch.bin``, which then serves as the validation set. Mirrors
``src/training/dataCifar.ts``."""

import os
import re

from .data_core import TensorSet, resize_uint8, split_tensor
from .errors import RunError
from .log import log

CIFAR_RECORD = 1 + 3 * 32 * 32


def cifar_dir(path):
    """The directory holding the batches (``path`` or its ``cifar-10-batches-bin``), or None."""
    for candidate in (path, os.path.join(path, "cifar-10-batches-bin")):
        if os.path.isdir(candidate) and any(
                re.match(r"^data_batch_\d+\.bin$", n) for n in os.listdir(candidate)):
            return candidate
    return None


def read_cifar_file(torch, path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == 0 or len(raw) % CIFAR_RECORD:
        raise RunError("%s is not a CIFAR-10 binary batch: %d bytes is not a multiple of %d" % (
            path, len(raw), CIFAR_RECORD))
    rows = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, CIFAR_RECORD)
    labels = rows[:, 0].long()
    if int(labels.max()) > 9:
        raise RunError("%s has label %d; CIFAR-10 labels are 0..9" % (path, int(labels.max())))
    return rows[:, 1:].reshape(-1, 3, 32, 32).clone(), labels.clone()


def load_cifar(torch, root, c, h, w, val_split, seed):
    names = sorted(n for n in os.listdir(root) if re.match(r"^data_batch_\d+\.bin$", n))
    parts = [read_cifar_file(torch, os.path.join(root, n)) for n in names]
    images = resize_uint8(torch, torch.cat([p[0] for p in parts]), c, h, w)
    labels = torch.cat([p[1] for p in parts])
    test = os.path.join(root, "test_batch.bin")
    if os.path.isfile(test):
        ti, tl = read_cifar_file(torch, test)
        log("CIFAR-10: validating on test_batch.bin (valSplit not used)")
        return TensorSet(images, labels), TensorSet(resize_uint8(torch, ti, c, h, w), tl)
    return split_tensor(torch, images, labels, val_split, seed)
