/**
 * A run started by a process that stays to follow it (not detached) stops when that process is gone, however
 * it went. A killed extension host or CLI runs no exit hook, and a trainer left behind would keep the machine
 * busy for nobody. The owner's pid travels in the runner's environment; the TF.js worker watches it here, and
 * the Python runner does the same in `python/resnet_studio/signals.py`.
 */

/** The environment variable that names the process owning a run. */
export const OWNER_PID_ENV = 'RESNET_STUDIO_OWNER_PID';

/**
 * Calls `onGone` once the process `pid` (as the environment carries it) no longer exists. Polled, since a
 * parent's death sends its children nothing here (their stdout goes to a file, stdin is closed). The timer does
 * not keep the process alive; nothing is watched when `pid` is absent or not a pid.
 */
export function watchOwner(pid: string | undefined, onGone: () => void, everyMs = 2000): NodeJS.Timeout | undefined {
  const owner = Number(pid);
  if (!pid || !Number.isSafeInteger(owner) || owner <= 0) return undefined;
  const timer = setInterval(() => {
    try {
      process.kill(owner, 0);
    } catch (e) {
      // EPERM: it exists but is not ours to signal, so it is alive.
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') return;
      clearInterval(timer);
      onGone();
    }
  }, everyMs);
  timer.unref();
  return timer;
}
