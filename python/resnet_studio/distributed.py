"""The process's place in a ``torchrun`` launch, read from the environment torchrun sets."""

import os

class Dist:
    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.enabled = self.world > 1
        self.initialized = False

    @property
    def main(self):
        return self.rank == 0


def clear_rank_errors(run_dir):
    """Reports from an earlier attempt must not turn this attempt's stop into a failure."""
    error_dir = os.path.join(run_dir, "errors")
    if os.path.isdir(error_dir):
        for name in os.listdir(error_dir):
            try:
                os.remove(os.path.join(error_dir, name))
            except OSError:
                pass
