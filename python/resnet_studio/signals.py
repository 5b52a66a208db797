"""Stop requests: SIGTERM/SIGINT end the run after the step in flight, with a checkpoint."""

import os
import signal

class StopRequest:
    """SIGTERM/SIGINT ask the loop to stop after the step in flight. Repeats are the same request: torchrun's
    agent forwards the signal the workers already got from the process group."""

    def __init__(self):
        self.requested = False
        self.signal_name = None

    def install(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum, _frame):
        if not self.requested:
            self.requested = True
            self.signal_name = signal.Signals(signum).name
            try:
                os.write(2, ("[resnet-studio] %s received: stopping after the current step\n" % self.signal_name).encode())
            except OSError:
                pass


def ignore_stop_signals(_worker_id=None):
    """Loader worker processes share the job's process group; the main process shuts them down itself."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
