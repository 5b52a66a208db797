"""Errors the runner reports to the user: a RunError's message is the whole story (no traceback)."""


class RunError(Exception):
    """A failure the user can act on: its message is the whole story, no traceback needed."""


class NonFiniteLoss(RunError):
    pass


def nonfinite_message(value, epoch, step, split="training"):
    kind = "NaN" if value != value else "infinite"
    return ("%s loss became %s at step %d (epoch %d); the run was stopped. "
            "Try a lower learning rate, or check the model and data for invalid values" % (
                split, kind, step, epoch + 1))
