"""Protocol rows (declared in ``src/protocol/trainingProtocol.ts``; ``training_rows.schema.json`` beside this
file): one JSON object per line on the private stdout and in ``RUN_DIR/metrics.jsonl``. Every row carries the
run's ``attempt`` number: one more than the last row already in the file, so the rows a resumed attempt redoes
can be told from the ones they supersede (``src/protocol/trainingAttempts.ts``)."""

import json
import math
import os
import time

ROWS_SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "training_rows.schema.json")
_TAIL_BYTES = 64 * 1024


def row_types():
    with open(ROWS_SCHEMA_FILE, "r", encoding="utf-8") as f:
        return tuple(json.load(f)["definitions"])


def last_row(path):
    """The last row of a metrics file, reading only its tail (more if the tail holds none); None if it has none."""
    types = row_types()
    try:
        size = os.path.getsize(path)
    except OSError:
        return None
    span = min(size, _TAIL_BYTES)
    with open(path, "rb") as f:
        while span > 0:
            f.seek(size - span)
            lines = f.read(span).split(b"\n")
            if span < size:
                lines = lines[1:]  # the first may be the end of a line that began before the span
            for line in reversed(lines):
                try:
                    row = json.loads(line.decode("utf-8"))
                except ValueError:
                    continue
                if isinstance(row, dict) and row.get("type") in types:
                    return row
            if span == size:
                return None
            span = min(size, span * 4)
    return None


def next_attempt(path):
    """The attempt number a new start of the run writes: one more than its last row's (a row from before
    attempts were numbered was attempt 1)."""
    row = last_row(path)
    if row is None:
        return 1
    attempt = row.get("attempt")
    return (attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else 1) + 1


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
        # 1 until a metrics file says otherwise: a row that can go nowhere but stdout still needs a number.
        self.attempt = 1

    def open_metrics(self, run_dir):
        if not self.enabled or self.file is not None:
            return
        path = os.path.join(run_dir, "metrics.jsonl")
        self.attempt = next_attempt(path)
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
        row["attempt"] = self.attempt
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
