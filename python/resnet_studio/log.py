"""Human-readable log lines on stderr (stdout is reserved for protocol rows)."""

import sys

_LOG_PREFIX = "[resnet-studio] "
_LOG_QUIET = False


def log(msg, always=False):
    """Human text, on stderr. In a distributed run the other ranks only report what rank 0 cannot."""
    if _LOG_QUIET and not always:
        return
    sys.stderr.write(_LOG_PREFIX + msg + "\n")
    sys.stderr.flush()


def set_rank(rank, main):
    """In a distributed run each line names its rank, and ranks other than 0 only report what rank 0 cannot."""
    global _LOG_PREFIX, _LOG_QUIET
    _LOG_PREFIX = "[resnet-studio rank %d] " % rank
    _LOG_QUIET = not main
