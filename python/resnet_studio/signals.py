"""Stop requests: SIGTERM/SIGINT end the run after the step in flight, with a checkpoint."""

import os
import signal
import threading
import time

# Names the process that started this run and follows it (not detached); see src/training/ownerWatch.ts.
OWNER_PID_ENV = "RESNET_STUDIO_OWNER_PID"

class StopRequest:
    """SIGTERM/SIGINT ask the loop to stop after the step in flight. Repeats are the same request: torchrun's
    agent forwards the signal the workers already got from the process group."""

    def __init__(self):
        self.requested = False
        self.signal_name = None

    def install(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)
        owner = os.environ.get(OWNER_PID_ENV, "")
        if owner.isdigit() and int(owner) > 0:
            threading.Thread(target=self._watch_owner, args=(int(owner),), name="owner-watch", daemon=True).start()

    def _watch_owner(self, pid, every=2.0):
        """A killed extension host or CLI runs no exit hook: once the process that owns this run is gone, stop
        after the step in flight, as a SIGTERM would, instead of training on for nobody."""
        while not self.requested:
            time.sleep(every)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                if not self.requested:
                    self.requested = True
                    self.signal_name = "owner exited"
                    try:
                        os.write(2, b"[resnet-studio] the process that started this run has exited: stopping after the current step\n")
                    except OSError:
                        pass
                return
            except PermissionError:
                pass

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
