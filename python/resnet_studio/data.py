"""The run's data, from its ``data`` setting: built-in synthetic images, a directory of CIFAR-10 binary
batches, or an ImageFolder directory. The same three sources and rules as the TF.js runner
(``src/training/data.ts``), so a run means the same thing whichever backend trains it."""

import os

from .data_cifar import cifar_dir, load_cifar
from .data_core import PRELOAD_LIMIT_BYTES
from .data_image_folder import load_image_folder
from .data_synthetic import SyntheticSet, split_synthetic
from .errors import RunError


def check_data_path(cfg):
    """Runs before torch is imported, so that a wrong path fails in milliseconds."""
    data = cfg["data"]
    if data == "synthetic":
        return "synthetic"
    if not isinstance(data, str) or not data:
        raise RunError("data must be 'synthetic' or a directory path, got %r" % (data,))
    path = os.path.abspath(data)
    if not os.path.exists(path):
        raise RunError("data path does not exist: %s" % path)
    if not os.path.isdir(path):
        raise RunError("data path is not a directory: %s" % path)
    cfg["dataPath"] = path
    if cifar_dir(path):
        return "cifar"
    split_dirs = [os.path.join(path, s) for s in ("train", "val")]
    roots = split_dirs if all(os.path.isdir(d) for d in split_dirs) else [path]
    for root in roots:
        classes = [d for d in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, d))]
        if not classes:
            raise RunError(
                "data directory %s holds neither CIFAR-10 binary batches (data_batch_*.bin) "
                "nor class subfolders of images" % root)
    return "folder"


def load_dataset(torch, cfg, num_classes, device, cuda):
    """(train, val or None, description, classes in the data) for the model's input shape and output size."""
    _, c, h, w = cfg["inputShape"]
    kind = cfg["dataKind"]
    if kind == "synthetic":
        full = SyntheticSet(torch, cfg["syntheticSize"], c, h, w, num_classes, cfg["seed"], device if cuda else None)
        train, val = split_synthetic(torch, full, cfg["valSplit"], cfg["seed"])
        if full.nbytes() <= PRELOAD_LIMIT_BYTES:
            train, val = train.materialize(torch), (val.materialize(torch) if val is not None else None)
        return train, val, "synthetic (%d classes)" % num_classes, num_classes
    if kind == "cifar":
        root = cifar_dir(cfg["dataPath"])
        train, val = load_cifar(torch, root, c, h, w, cfg["valSplit"], cfg["seed"])
        return train, val, "CIFAR-10 binary batches in %s" % root, 10
    limit = cfg.get("preloadLimit")
    train, val, n_classes = load_image_folder(torch, cfg["dataPath"], c, h, w, cfg["valSplit"], cfg["seed"],
                                              PRELOAD_LIMIT_BYTES if limit is None else int(limit))
    return train, val, "image folder %s (%d classes)" % (cfg["dataPath"], n_classes), n_classes
