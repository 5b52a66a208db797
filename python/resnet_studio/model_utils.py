"""What the trainer needs around a user's model: its logits, mixed precision and gradient scaling."""


def logits_of(out):
    if isinstance(out, (tuple, list)):
        out = out[0]
    if isinstance(out, dict):
        for key in ("logits", "out"):
            if key in out:
                return out[key]
        out = next(iter(out.values()))
    return out


def autocast(torch, enabled):
    if not enabled:
        return _NullContext()
    return torch.autocast(device_type="cuda", dtype=torch.float16)


def make_grad_scaler(torch, enabled):
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        try:
            return amp.GradScaler("cuda", enabled=enabled)
        except TypeError:
            pass
    return torch.cuda.amp.GradScaler(enabled=enabled)


class _NullContext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
