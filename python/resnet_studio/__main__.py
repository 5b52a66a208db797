"""The runner's entry point: ``python -m resnet_studio --config RUN_DIR/config.json [--resume]`` (or the
``resnet_studio_train.py`` script, which torchrun launches). Turns whatever happens into exactly one end row
and an exit status: 0 completed or stopped, 1 failed, 2 unusable command line."""

import argparse
import os
import signal
import sys
import traceback

from . import log as log_module
from .config import load_config
from .data import check_data_path
from .distributed import Dist, clear_rank_errors
from .errors import RunError
from .log import log
from .rows import RowWriter
from .signals import StopRequest
from .trainer import Trainer


def main(argv=None):
    parser = argparse.ArgumentParser(description="ResNet Studio PyTorch training runner")
    parser.add_argument("--config", required=True, help="the run's config.json")
    parser.add_argument("--resume", action="store_true", help="continue from the run's newest checkpoint")
    args = parser.parse_args(argv)

    # stdout is reserved for protocol rows: anything else written to fd 1 (the user's prints, C libraries)
    # is sent to stderr instead.
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    stop = StopRequest()
    stop.install()
    dist = Dist()
    if dist.enabled:
        log_module.set_rank(dist.rank, dist.main)
    writer = RowWriter(proto_out, dist.main)
    status, error = "failed", None
    trainer = None
    cfg = None
    try:
        try:
            cfg = load_config(args.config, args.resume)
        except RunError:
            # The end row still belongs in the run directory the config file sits in.
            if os.path.isdir(os.path.dirname(os.path.abspath(args.config))):
                writer.open_metrics(os.path.dirname(os.path.abspath(args.config)))
            raise
        os.makedirs(cfg["runDir"], exist_ok=True)
        writer.open_metrics(cfg["runDir"])
        cfg["dataKind"] = check_data_path(cfg)
        if dist.enabled and dist.main:
            clear_rank_errors(cfg["runDir"])
        trainer = Trainer(cfg, dist, writer, stop)
        status = trainer.run()
    except RunError as e:
        error = str(e)
        log("error: " + error, always=True)
    except Exception as e:
        if stop.requested:
            status = "stopped"
            log("stopped (%s: %s)" % (type(e).__name__, e), always=True)
        else:
            error = "%s: %s" % (type(e).__name__, e)
            traceback.print_exc(file=sys.stderr)
    if status == "failed" and error is None:
        error = "unknown failure"
    if dist.enabled and cfg is not None:
        error_dir = os.path.join(cfg["runDir"], "errors")
        if status == "failed" and not dist.main:
            # Only rank 0 writes rows; it reports this rank's failure if it outlives it.
            try:
                os.makedirs(error_dir, exist_ok=True)
                with open(os.path.join(error_dir, "rank-%d.txt" % dist.rank), "w") as f:
                    f.write(error)
            except OSError:
                pass
        elif status == "stopped" and dist.main and os.path.isdir(error_dir):
            reports = []
            for name in sorted(os.listdir(error_dir)):
                try:
                    with open(os.path.join(error_dir, name)) as f:
                        reports.append("%s: %s" % (name[:-4], f.read().strip()))
                except OSError:
                    pass
            if reports:
                status, error = "failed", "; ".join(reports)
    if status != "failed":
        error = None
    writer.end(status, error)
    if trainer is not None and dist.initialized:
        try:
            trainer.tdist.destroy_process_group()
        except Exception:
            pass
    log("run %s%s" % (status, (": " + error) if error else ""))
    # From here on a signal should simply end the process.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    code = 1 if status == "failed" else 0
    if dist.enabled:
        # With gloo, interpreter shutdown can hang for good in a C++ destructor (seen with torch 1.13). Every
        # row and log line is flushed and the metrics file is closed, so nothing is lost by leaving at once.
        writer.close()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
