"""Protocol rows (see ``src/training/protocol.ts``): one JSON object per line on the private stdout and in
``RUN_DIR/metrics.jsonl``."""

import json
import math
import os
import time

def _clean(value):
    """JSON has no NaN/Infinity; a row must stay parseable by JSON.parse."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None or k == "error"}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class RowWriter:
    """Writes protocol rows to the private stdout and to metrics.jsonl. A no-op on ranks other than 0."""

    def __init__(self, proto_out, enabled):
        self.out = proto_out
        self.enabled = enabled
        self.file = None
        self.ended = False

    def open_metrics(self, run_dir):
        if not self.enabled or self.file is not None:
            return
        path = os.path.join(run_dir, "metrics.jsonl")
        needs_newline = False
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                needs_newline = f.read(1) != b"\n"
        self.file = open(path, "a", encoding="utf-8")
        if needs_newline:
            # A previous process died mid-line; start ours on a fresh line so both stay readable.
            self.file.write("\n")

    def emit(self, row):
        if not self.enabled:
            return
        row = dict(row)
        row.setdefault("time", time.time())
        line = json.dumps(_clean(row), separators=(",", ":")) + "\n"
        for stream in (self.file, self.out):
            if stream is None:
                continue
            try:
                stream.write(line)
                stream.flush()
            except (BrokenPipeError, OSError):
                # A reader that went away must not take the training run with it; metrics.jsonl still has it.
                if stream is self.out:
                    self.out = None
        if row["type"] in ("end", "checkpoint") and self.file is not None:
            try:
                os.fsync(self.file.fileno())
            except OSError:
                pass

    def close(self):
        for stream in (self.file, self.out):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        self.file = self.out = None

    def end(self, status, error=None):
        if self.ended:
            return
        self.ended = True
        self.emit({"type": "end", "status": status, "error": error})
