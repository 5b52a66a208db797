"""ImageFolder directories: one subfolder per class (sorted names give the class indices), images found
recursively inside each; or ``train/`` and ``val/``, each laid out that way with the same classes. Held in
memory when they fit, else decoded per batch. Mirrors ``src/training/dataImageFolder.ts``."""

import os

from .data_core import PRELOAD_LIMIT_BYTES, TensorSet, split_indices
from .errors import RunError
from .images import read_image

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ppm", ".pgm")


class FileSet:
    """Image files decoded on demand (for folders too large to hold in memory)."""

    def __init__(self, files, labels, c, h, w):
        self.files = files
        self.labels = labels
        self.shape = (c, h, w)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        import torch

        return read_image(torch, self.files[i], *self.shape), self.labels[i]


def list_image_folder(root):
    classes = [d for d in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, d))]
    files, labels = [], []
    for k, cls in enumerate(classes):
        # Into linked folders too, as the TF.js runner and torchvision's ImageFolder go.
        for dirpath, _, names in sorted(os.walk(os.path.join(root, cls), followlinks=True)):
            for name in sorted(names):
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    files.append(os.path.join(dirpath, name))
                    labels.append(k)
    return classes, files, labels


def load_image_folder(torch, path, c, h, w, val_split, seed, preload_limit=PRELOAD_LIMIT_BYTES):
    split_dirs = [os.path.join(path, s) for s in ("train", "val")]
    if all(os.path.isdir(d) for d in split_dirs):
        classes, tf, tl = list_image_folder(split_dirs[0])
        vclasses, vf, vl = list_image_folder(split_dirs[1])
        if vclasses != classes:
            raise RunError("train/ and val/ in %s have different class folders" % path)
    else:
        classes, files, labels = list_image_folder(path)
        tr, va = split_indices(torch, len(files), val_split, seed)
        tf, tl = [files[i] for i in tr.tolist()], [labels[i] for i in tr.tolist()]
        vf, vl = [files[i] for i in va.tolist()], [labels[i] for i in va.tolist()]
    if not tf:
        raise RunError("no images (%s) under the class folders of %s" % (", ".join(IMAGE_EXTENSIONS), path))
    if len(classes) < 2:
        raise RunError("%s has %d class folder; training needs at least 2" % (path, len(classes)))
    probe = tf[0]
    read_image(torch, probe, c, h, w)  # fail now, with the file's name, if images cannot be read at all
    if (len(tf) + len(vf)) * c * h * w <= preload_limit:
        def load(fs, ls):
            if not fs:
                return None
            imgs = torch.empty(len(fs), c, h, w, dtype=torch.uint8)
            for i, f in enumerate(fs):
                imgs[i] = read_image(torch, f, c, h, w)
            return TensorSet(imgs, torch.tensor(ls, dtype=torch.long))

        return load(tf, tl), load(vf, vl), len(classes)
    return FileSet(tf, tl, c, h, w), (FileSet(vf, vl, c, h, w) if vf else None), len(classes)
