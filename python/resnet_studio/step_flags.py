"""Flags a training step raises (stop requested, non-finite loss), read without stalling the GPU queue."""

import math

class StepFlags:
    """Stop and non-finite-loss flags, read one step late so the CPU never waits for the GPU queue to drain.

    In a distributed run the flags are max-reduced across ranks, so every rank sees the same verdict at the
    same step and no rank is left waiting in a collective the others skipped."""

    def __init__(self, torch, device, tdist):
        self.torch = torch
        self.device = device
        self.tdist = tdist
        self.cuda = device.type == "cuda"
        self.immediate = not self.cuda and tdist is None
        self.pending = None

    def push(self, loss, stop_requested):
        torch = self.torch
        if self.immediate:
            return (not math.isfinite(loss.item()), stop_requested)
        if self.tdist is None:
            # One process: the stop flag is local and current; only the loss check waits for the GPU.
            host = torch.empty((), dtype=torch.bool, pin_memory=True)
            host.copy_(torch.isfinite(loss), non_blocking=True)
            event = torch.cuda.Event()
            event.record()
            previous, self.pending = self.pending, (None, host, event, stop_requested)
            return self._read(previous)
        flags = torch.zeros(2, device=self.device)
        flags[0] = (~torch.isfinite(loss)).float()
        if stop_requested:
            flags[1] = 1.0
        work = self.tdist.all_reduce(flags, op=self.tdist.ReduceOp.MAX, async_op=True)
        event = None
        if self.cuda:
            if work is not None:
                work.wait()
                work = None
            host = torch.empty(2, pin_memory=True)
            host.copy_(flags, non_blocking=True)
            event = torch.cuda.Event()
            event.record()
            flags = host
        previous, self.pending = self.pending, (work, flags, event, None)
        return self._read(previous)

    def drain(self):
        previous, self.pending = self.pending, None
        return self._read(previous)

    @staticmethod
    def _read(entry):
        if entry is None:
            return None
        work, flags, event, local_stop = entry
        if event is not None:
            event.synchronize()
        if work is not None:
            work.wait()
        if local_stop is not None:
            return not bool(flags.item()), local_stop
        a, b = flags.tolist()
        return a > 0, b > 0
