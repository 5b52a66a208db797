"""Checkpoint files: their names, crash-safe writes (fsync of the folder) and loading across torch versions."""

import os
import re

CHECKPOINT_RE = re.compile(r"^epoch-(\d+)-step-(\d+)\.pt$")

def load_checkpoint_file(torch, path, device):
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except TypeError:  # torch older than 1.13 has no weights_only
        return torch.load(path, map_location=device)
    except Exception as e:
        # Early weights-only unpicklers reject plain floats; the file is this runner's own, in the run directory.
        if "weights" not in str(e).lower():
            raise
        return torch.load(path, map_location=device, weights_only=False)


def fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
