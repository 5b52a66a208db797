#!/usr/bin/env python3
"""ResNet Studio's PyTorch training runner.

    python resnet_studio_train.py --config RUN_DIR/config.json [--resume]
    python -m torch.distributed.run --nproc_per_node N resnet_studio_train.py --config ... [--resume]

The config is the run's ``config.json`` (written by ``src/training/runStore.ts``). Keys, all camelCase:

    modelFile      path of the user's .py file (required)
    modelSnapshot  optional copy of that file, relative to the run directory; preferred when present so that
                   a resume trains the same code even if the user has edited their file since
    modelName      class or factory function defined in that file (required)
    modelArgs      call arguments in Python syntax, evaluated in the module's namespace ("num_classes=10")
    inputShape     [N, C, H, W]; N is ignored, C/H/W fix the image size
    data           "synthetic", an ImageFolder directory, or a directory of CIFAR-10 binary batches
    epochs, batchSize (per process), lr, optimizer ("sgd" | "adam"), momentum, weightDecay,
    schedule ("none" | "step" | "cosine"), lrSteps (epochs, for "step"), lrGamma, seed, valSplit, augment
    device         "auto" (cuda, then mps, then cpu) | "cuda" | "mps" | "cpu"
    amp            mixed precision on CUDA (default true); channelsLast (default true on CUDA)
    logEvery       train metric row every N steps (default 20); threads (CPU threads); workers (data loader
                   processes for streamed image folders); syntheticSize (images, default 5000);
    maxSteps       stop (as "completed") after this many optimiser steps in total; keepCheckpoints (default 3)
    preloadLimit   image folders up to this many bytes (decoded) are held in memory, larger ones are decoded
                   per batch by `workers` loader processes (default 2 GiB)
    runDir         defaults to the directory holding the config file
    resume         same as --resume

Protocol rows (see ``src/training/protocol.ts``) go to stdout, one JSON object per line, and are appended
to ``RUN_DIR/metrics.jsonl``. Everything else (including the user's own prints) goes to stderr, so stdout
carries nothing but rows. In a distributed run only rank 0 writes rows. Epochs in rows are 1-based; ``step``
is the number of optimiser steps taken since the run first began.

Exit status: 0 completed or stopped, 1 failed, 2 unusable command line.
"""

import argparse
import importlib.util
import json
import math
import os
import re
import signal
import struct
import sys
import time
import traceback
import zlib

BACKEND = "pytorch"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ppm", ".pgm")
CIFAR_RECORD = 1 + 3 * 32 * 32
CHECKPOINT_RE = re.compile(r"^epoch-(\d+)-step-(\d+)\.pt$")
PRELOAD_LIMIT_BYTES = 2 * 1024 ** 3


class RunError(Exception):
    """A failure the user can act on: its message is the whole story, no traceback needed."""


class NonFiniteLoss(RunError):
    pass


# ---------------------------------------------------------------------------------------------------------
# Rows


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


_LOG_PREFIX = "[resnet-studio] "
_LOG_QUIET = False


def log(msg, always=False):
    """Human text, on stderr. In a distributed run the other ranks only report what rank 0 cannot."""
    if _LOG_QUIET and not always:
        return
    sys.stderr.write(_LOG_PREFIX + msg + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------------------
# Stop requests


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


def _ignore_stop_signals(_worker_id=None):
    """Loader worker processes share the job's process group; the main process shuts them down itself."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ---------------------------------------------------------------------------------------------------------
# Config


DEFAULTS = {
    "modelArgs": "",
    "inputShape": [1, 3, 32, 32],
    "data": "synthetic",
    "epochs": 10,
    "batchSize": 128,
    "lr": 0.1,
    "optimizer": "sgd",
    "momentum": 0.9,
    "weightDecay": 5e-4,
    "schedule": "cosine",
    "lrGamma": 0.1,
    "seed": 0,
    "valSplit": 0.1,
    "augment": True,
    "device": "auto",
    "amp": True,
    "logEvery": 20,
    "syntheticSize": 5000,
    "keepCheckpoints": 3,
    "resume": False,
}


def load_config(path, resume_flag):
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise RunError("config file not found: %s" % path)
    except ValueError as e:
        raise RunError("config file %s is not valid JSON: %s" % (path, e))
    if not isinstance(raw, dict):
        raise RunError("config file %s must hold a JSON object" % path)
    cfg = dict(DEFAULTS)
    cfg.update({k: v for k, v in raw.items() if v is not None})
    cfg["runDir"] = os.path.abspath(cfg.get("runDir") or os.path.dirname(os.path.abspath(path)))
    cfg["resume"] = bool(resume_flag or cfg.get("resume"))

    for key in ("modelFile", "modelName"):
        if not isinstance(cfg.get(key), str) or not cfg[key]:
            raise RunError("config is missing '%s'" % key)
    shape = cfg["inputShape"]
    if not (isinstance(shape, list) and len(shape) == 4 and all(isinstance(d, int) and d > 0 for d in shape)):
        raise RunError("inputShape must be [N, C, H, W] with positive integers, got %r" % (shape,))
    for key, lo in (("epochs", 1), ("batchSize", 1), ("logEvery", 1), ("syntheticSize", 2)):
        if not isinstance(cfg[key], int) or cfg[key] < lo:
            raise RunError("%s must be an integer >= %d, got %r" % (key, lo, cfg[key]))
    if cfg.get("maxSteps") is not None and (not isinstance(cfg["maxSteps"], int) or cfg["maxSteps"] < 1):
        raise RunError("maxSteps must be a positive integer, got %r" % (cfg["maxSteps"],))
    if not isinstance(cfg["lr"], (int, float)) or not cfg["lr"] > 0:
        raise RunError("lr must be a positive number, got %r" % (cfg["lr"],))
    if cfg["optimizer"] not in ("sgd", "adam"):
        raise RunError("optimizer must be 'sgd' or 'adam', got %r" % (cfg["optimizer"],))
    if cfg["schedule"] not in ("none", "step", "cosine"):
        raise RunError("schedule must be 'none', 'step' or 'cosine', got %r" % (cfg["schedule"],))
    if cfg["device"] not in ("auto", "cuda", "mps", "cpu"):
        raise RunError("device must be 'auto', 'cuda', 'mps' or 'cpu', got %r" % (cfg["device"],))
    if not isinstance(cfg["valSplit"], (int, float)) or not 0 <= cfg["valSplit"] < 1:
        raise RunError("valSplit must be in [0, 1), got %r" % (cfg["valSplit"],))
    return cfg


def check_data_path(cfg):
    """Runs before torch is imported, so that a wrong path fails in milliseconds."""
    data = cfg["data"]
    if data == "synthetic":
        return "synthetic"
    if not isinstance(data, str) or not data:
        raise RunError("data must be 'synthetic' or a directory path, got %r" % (data,))
    path = os.path.abspath(data)
    if not os.path.exists(path):
        raise RunError("data path does not exist: %s" % path)
    if not os.path.isdir(path):
        raise RunError("data path is not a directory: %s" % path)
    cfg["dataPath"] = path
    if _cifar_dir(path):
        return "cifar"
    split_dirs = [os.path.join(path, s) for s in ("train", "val")]
    roots = split_dirs if all(os.path.isdir(d) for d in split_dirs) else [path]
    for root in roots:
        classes = [d for d in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, d))]
        if not classes:
            raise RunError(
                "data directory %s holds neither CIFAR-10 binary batches (data_batch_*.bin) "
                "nor class subfolders of images" % root)
    return "folder"


def _cifar_dir(path):
    for candidate in (path, os.path.join(path, "cifar-10-batches-bin")):
        if os.path.isdir(candidate) and any(
                re.match(r"^data_batch_\d+\.bin$", n) for n in os.listdir(candidate)):
            return candidate
    return None


# ---------------------------------------------------------------------------------------------------------
# Distributed


class Dist:
    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.enabled = self.world > 1
        self.initialized = False

    @property
    def main(self):
        return self.rank == 0


# ---------------------------------------------------------------------------------------------------------
# The run


class Trainer:
    def __init__(self, cfg, dist, writer, stop):
        import torch

        self.torch = torch
        self.cfg = cfg
        self.dist = dist
        self.writer = writer
        self.stop = stop
        self.run_dir = cfg["runDir"]
        self.ckpt_dir = os.path.join(self.run_dir, "checkpoints")

    # -- setup ------------------------------------------------------------------------------------------

    def select_device(self):
        torch = self.torch
        want = self.cfg["device"]
        has_cuda = torch.cuda.is_available()
        mps = getattr(torch.backends, "mps", None)
        has_mps = bool(mps and mps.is_available())
        if want == "cuda" and not has_cuda:
            raise RunError("device 'cuda' was requested but torch.cuda.is_available() is False")
        if want == "mps" and not has_mps:
            raise RunError("device 'mps' was requested but torch.backends.mps.is_available() is False")
        if want in ("auto", "cuda") and has_cuda:
            index = self.dist.local_rank if self.dist.enabled else 0
            if index >= torch.cuda.device_count():
                raise RunError("LOCAL_RANK %d but only %d CUDA devices are visible" % (index, torch.cuda.device_count()))
            torch.cuda.set_device(index)
            dev = torch.device("cuda", index)
            name = "cuda:%d (%s)" % (index, torch.cuda.get_device_name(index))
        elif want in ("auto", "mps") and has_mps and not self.dist.enabled:
            dev = torch.device("mps")
            name = "mps"
        else:
            dev = torch.device("cpu")
            threads = torch.get_num_threads()
            name = "cpu (%d thread%s)" % (threads, "" if threads == 1 else "s")
        if self.dist.enabled:
            name = "%s x%d processes" % (name, self.dist.world)
        self.device = dev
        self.device_name = name
        self.cuda = dev.type == "cuda"
        self.amp = bool(self.cfg["amp"]) and self.cuda
        self.channels_last = self.cuda and self.cfg.get("channelsLast", True)
        if self.cuda:
            torch.backends.cudnn.benchmark = True

    def init_distributed(self):
        if not self.dist.enabled:
            return
        import torch.distributed as tdist

        backend = "nccl" if self.cuda else "gloo"
        tdist.init_process_group(backend=backend, init_method="env://")
        self.dist.initialized = True
        self.tdist = tdist

    def load_model(self):
        torch = self.torch
        cfg = self.cfg
        model_file = os.path.abspath(cfg["modelFile"])
        source = model_file
        if cfg.get("modelSnapshot"):
            snap = os.path.join(self.run_dir, cfg["modelSnapshot"])
            if os.path.isfile(snap):
                source = snap
        if not os.path.isfile(source):
            raise RunError("model file not found: %s" % source)
        # No __pycache__ folders left in the user's workspace or the run directory.
        sys.dont_write_bytecode = True
        # Sibling modules of the user's file must import as they do when the user runs it.
        for d in (os.path.dirname(model_file), os.path.dirname(source)):
            if d not in sys.path:
                sys.path.insert(0, d)
        spec = importlib.util.spec_from_file_location("resnet_studio_user_model", source)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as e:
            raise RunError("importing %s failed: %s: %s" % (model_file, type(e).__name__, e))
        name = cfg["modelName"]
        target = getattr(module, name, None)
        nn = torch.nn
        if target is None:
            modules = sorted(k for k, v in vars(module).items()
                             if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module.__name__)
            funcs = sorted(k for k, v in vars(module).items()
                           if callable(v) and not isinstance(v, type) and getattr(v, "__module__", None) == module.__name__
                           and not k.startswith("_"))
            raise RunError("%s defines no '%s' (nn.Module classes: %s; functions: %s)" % (
                model_file, name, ", ".join(modules) or "none", ", ".join(funcs) or "none"))
        if not callable(target):
            raise RunError("'%s' in %s is not a class or function" % (name, model_file))
        namespace = dict(vars(module))
        namespace["__resnet_studio_call__"] = lambda *a, **k: (a, k)
        args_src = (cfg.get("modelArgs") or "").strip()
        try:
            pos, kw = eval("__resnet_studio_call__(%s)" % args_src, namespace)
        except Exception as e:
            raise RunError("model arguments %r are not valid call arguments: %s: %s" % (args_src, type(e).__name__, e))
        torch.manual_seed(cfg["seed"])
        try:
            model = target(*pos, **kw)
        except Exception as e:
            raise RunError("%s(%s) raised %s: %s" % (name, args_src, type(e).__name__, e))
        if not isinstance(model, nn.Module):
            raise RunError("%s(%s) returned %s, not an nn.Module" % (name, args_src, type(model).__name__))
        self.model = model.to(self.device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        _, c, h, w = cfg["inputShape"]
        self.model.eval()
        try:
            with torch.no_grad():
                out = logits_of(self.model(torch.zeros(2, c, h, w, device=self.device)))
        except Exception as e:
            raise RunError("a forward pass on a [2, %d, %d, %d] input failed: %s: %s" % (c, h, w, type(e).__name__, e))
        self.model.train()
        if out.dim() != 2 or out.shape[0] != 2:
            raise RunError("the model's output has shape %s; a classifier must return [N, classes]" % (list(out.shape),))
        self.num_classes = int(out.shape[1])
        if self.num_classes < 2:
            raise RunError("the model returns %d class score(s); training needs at least 2" % self.num_classes)

    def load_data(self):
        torch = self.torch
        cfg = self.cfg
        _, c, h, w = cfg["inputShape"]
        kind = cfg["dataKind"]
        if kind == "synthetic":
            full = SyntheticSet(torch, cfg["syntheticSize"], c, h, w, self.num_classes, cfg["seed"])
            if self.cuda:
                full.to(self.device)
            train, val = split_synthetic(torch, full, cfg["valSplit"], cfg["seed"])
            if full.nbytes() <= PRELOAD_LIMIT_BYTES:
                train, val = train.materialize(torch), (val.materialize(torch) if val is not None else None)
            self.data_desc = "synthetic (%d classes)" % self.num_classes
            self.dataset_classes = self.num_classes
        elif kind == "cifar":
            root = _cifar_dir(cfg["dataPath"])
            train, val = load_cifar(torch, root, c, h, w, cfg["valSplit"], cfg["seed"])
            self.data_desc = "CIFAR-10 binary batches in %s" % root
            self.dataset_classes = 10
        else:
            limit = cfg.get("preloadLimit")
            train, val, n_classes = load_image_folder(torch, cfg["dataPath"], c, h, w, cfg["valSplit"], cfg["seed"],
                                                      PRELOAD_LIMIT_BYTES if limit is None else int(limit))
            self.data_desc = "image folder %s (%d classes)" % (cfg["dataPath"], n_classes)
            self.dataset_classes = n_classes
        if self.dataset_classes > self.num_classes:
            raise RunError("the data has %d classes but the model returns only %d scores" % (
                self.dataset_classes, self.num_classes))
        if len(train) == 0:
            raise RunError("the training set is empty")
        self.train_set, self.val_set = train, val
        # Whole tensors go onto the GPU once when they fit: a batch is then an index, not a copy.
        for ds in (train, val):
            if ds is not None and self.cuda and (isinstance(ds, SyntheticSet) or (
                    isinstance(ds, TensorSet) and ds.nbytes() < PRELOAD_LIMIT_BYTES)):
                ds.to(self.device)
        mean, std = channel_stats(torch, train)
        # (x / 255 - mean) / std as one multiply-add: x * scale + shift.
        self.norm_scale = (1.0 / (255.0 * std)).to(self.device).view(1, -1, 1, 1)
        self.norm_shift = (-mean / std).to(self.device).view(1, -1, 1, 1)
        self.norm_stats = (mean.tolist(), std.tolist())

    def build_optimizer(self):
        torch = self.torch
        cfg = self.cfg
        params = self.model.parameters()
        if cfg["optimizer"] == "sgd":
            self.optimizer = torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"],
                                             weight_decay=cfg["weightDecay"])
        else:
            self.optimizer = torch.optim.Adam(params, lr=cfg["lr"], weight_decay=cfg["weightDecay"])
        spe = self.steps_per_epoch
        total = max(1, self.total_steps)
        schedule = cfg["schedule"]
        epochs = cfg["epochs"]
        milestones = cfg.get("lrSteps") or [max(1, round(epochs * 0.5)), max(1, round(epochs * 0.75))]
        gamma = float(cfg["lrGamma"])

        def factor(step):
            if schedule == "cosine":
                return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
            if schedule == "step":
                return gamma ** sum(1 for m in milestones if step >= m * spe)
            return 1.0

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, factor)
        self.scaler = make_grad_scaler(torch, self.amp)

    # -- checkpoints ------------------------------------------------------------------------------------

    def checkpoints(self):
        found = []
        if os.path.isdir(self.ckpt_dir):
            for name in os.listdir(self.ckpt_dir):
                m = CHECKPOINT_RE.match(name)
                if m:
                    found.append((int(m.group(2)), int(m.group(1)), name))
        return sorted(found)

    def save_checkpoint(self, epoch_index, batches_done):
        """Rank 0 only. ``epoch_index`` is 0-based; ``batches_done`` == steps_per_epoch marks a finished epoch."""
        torch = self.torch
        os.makedirs(self.ckpt_dir, exist_ok=True)
        name = "epoch-%04d-step-%08d.pt" % (epoch_index + 1, self.step)
        final = os.path.join(self.ckpt_dir, name)
        tmp = final + ".tmp-%d" % os.getpid()
        state = {
            "format": 1,
            "model": self.bare_model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": epoch_index,
            "batchesDone": batches_done,
            "stepsPerEpoch": self.steps_per_epoch,
            "step": self.step,
            "numClasses": self.num_classes,
            "normalize": {"mean": self.norm_stats[0], "std": self.norm_stats[1]},
            "modelName": self.cfg["modelName"],
            "modelArgs": self.cfg.get("modelArgs", ""),
            "inputShape": self.cfg["inputShape"],
            "time": time.time(),
        }
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        _fsync_dir(self.ckpt_dir)
        keep = int(self.cfg["keepCheckpoints"])
        if keep > 0:
            for _, _, old in self.checkpoints()[:-keep]:
                try:
                    os.remove(os.path.join(self.ckpt_dir, old))
                except OSError:
                    pass
        self.writer.emit({"type": "checkpoint", "epoch": epoch_index + 1, "step": self.step,
                          "path": "checkpoints/" + name})

    def restore(self):
        """Loads the newest readable checkpoint; returns (epoch_index, batch_index) to continue from."""
        torch = self.torch
        found = self.checkpoints()
        for step, _, name in reversed(found):
            path = os.path.join(self.ckpt_dir, name)
            try:
                state = load_checkpoint_file(torch, path, self.device)
            except Exception as e:
                log("checkpoint %s is unreadable (%s); trying an older one" % (name, e))
                continue
            self.bare_model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            if state.get("scaler"):
                self.scaler.load_state_dict(state["scaler"])
            self.step = int(state["step"])
            epoch, done = int(state["epoch"]), int(state["batchesDone"])
            old_spe = int(state.get("stepsPerEpoch") or self.steps_per_epoch)
            if done >= old_spe:
                epoch, done = epoch + 1, 0
            elif old_spe != self.steps_per_epoch:
                done = done * self.steps_per_epoch // old_spe
            self.resumed_from = ("checkpoints/" + name, self.step)
            return epoch, done
        if found:
            raise RunError("none of the %d checkpoints in %s could be read" % (len(found), self.ckpt_dir))
        return 0, 0

    # -- the loop ---------------------------------------------------------------------------------------

    def run(self):
        torch = self.torch
        cfg = self.cfg
        if not cfg["resume"] and self.checkpoints():
            raise RunError("run directory %s already has checkpoints; resume it or start a new run" % self.run_dir)
        threads = cfg.get("threads")
        if isinstance(threads, int) and threads > 0:
            torch.set_num_threads(threads)
        self.select_device()
        self.init_distributed()
        self.load_model()
        if self.stop.requested:
            return "stopped"
        self.load_data()
        if self.stop.requested:
            return "stopped"

        world = self.dist.world
        bs = cfg["batchSize"]
        from torch.utils.data.distributed import DistributedSampler

        self.sampler = DistributedSampler(range(len(self.train_set)), num_replicas=world, rank=self.dist.rank,
                                          shuffle=True, seed=cfg["seed"], drop_last=True)
        per_rank = len(self.sampler)
        if per_rank < bs:
            raise RunError("the training set (%d images, %d per process) is smaller than one batch of %d" % (
                len(self.train_set), per_rank, bs))
        self.steps_per_epoch = per_rank // bs
        self.total_steps = cfg["epochs"] * self.steps_per_epoch
        if cfg.get("maxSteps"):
            self.total_steps = min(self.total_steps, cfg["maxSteps"])
        self.build_optimizer()
        self.bare_model = self.model
        self.step = 0
        self.resumed_from = None

        start_epoch, start_batch = self.restore() if cfg["resume"] else (0, 0)
        torch.manual_seed(cfg["seed"] + 1000003 * self.step + self.dist.rank)

        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            self.model = DDP(self.model, device_ids=[self.device.index] if self.cuda else None)
        self.criterion = torch.nn.CrossEntropyLoss()

        val_size = len(self.val_set) if self.val_set is not None else 0
        if self.resumed_from:
            message = "resumed from %s at step %d" % self.resumed_from
        elif cfg["resume"]:
            message = "no checkpoint to resume from; starting at step 0"
        else:
            message = "training on %s" % self.data_desc
        self.status(message=message, trainSize=len(self.train_set), valSize=val_size,
                    epoch=start_epoch + 1)
        log("%s | device %s | %d train / %d val images | %d steps per epoch" % (
            message, self.device_name, len(self.train_set), val_size, self.steps_per_epoch))

        self.t_train = 0.0  # seconds spent in training steps this process, for the ETA
        self.steps_timed = 0
        self.t_val = None
        for epoch in range(start_epoch, cfg["epochs"]):
            if self.step >= self.total_steps:
                break
            outcome = self.train_epoch(epoch, start_batch if epoch == start_epoch else 0)
            if outcome != "ok":
                return outcome
            self.validate(epoch)
            if self.dist.main:
                self.save_checkpoint(epoch, self.epoch_batches)
            if self.agree_stop():
                return "stopped"
            self.status(epoch=epoch + 1, eta=self.eta())
        return "completed"

    def status(self, **fields):
        row = {"type": "status", "backend": BACKEND, "device": self.device_name, "epochs": self.cfg["epochs"],
               "stepsPerEpoch": self.steps_per_epoch, "step": self.step, "worldSize": self.dist.world}
        row.update(fields)
        self.writer.emit(row)

    def eta(self):
        if not self.steps_timed:
            return None
        remaining = max(0, self.total_steps - self.step)
        per_step = self.t_train / self.steps_timed
        epochs_left = max(0, math.ceil(remaining / self.steps_per_epoch)) if remaining else 0
        return remaining * per_step + epochs_left * (self.t_val or 0.0)

    def agree_stop(self):
        flag = self.stop.requested
        if self.dist.enabled:
            t = self.torch.tensor([1.0 if flag else 0.0], device=self.device)
            self.tdist.all_reduce(t, op=self.tdist.ReduceOp.MAX)
            flag = bool(t.item() > 0)
        return flag

    def prepare(self, images, labels, train):
        torch = self.torch
        x = images.to(self.device, non_blocking=True)
        y = labels.to(self.device, non_blocking=True)
        if train and self.cfg["augment"]:
            x = augment(torch, x)
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        out = torch.empty(x.shape, dtype=torch.float32, device=self.device, memory_format=fmt)
        out.copy_(x)
        return torch.addcmul(self.norm_shift, out, self.norm_scale, out=out), y

    def reduce_sums(self, *values):
        """Sums tensors across ranks (one collective); returns Python floats."""
        torch = self.torch
        t = torch.stack([v.float().reshape(()) if torch.is_tensor(v) else torch.tensor(float(v), device=self.device)
                         for v in values])
        if self.dist.enabled:
            self.tdist.all_reduce(t)
        return t.tolist()

    def train_epoch(self, epoch, start_batch):
        torch = self.torch
        cfg = self.cfg
        bs = cfg["batchSize"]
        spe = self.steps_per_epoch
        self.sampler.set_epoch(epoch)
        order = list(iter(self.sampler))
        batches = [order[i * bs:(i + 1) * bs] for i in range(spe)]
        loader = batch_stream(torch, self.train_set, batches[start_batch:], cfg, self.cuda)
        flags = StepFlags(torch, self.device, self.tdist if self.dist.enabled else None)
        zero = lambda: torch.zeros((), device=self.device)
        win_loss, win_correct, win_n = zero(), zero(), 0
        ep_loss, ep_correct, ep_n = zero(), zero(), 0
        win_steps = 0
        win_t0 = ep_t0 = time.perf_counter()
        ep_train_time = 0.0
        self.epoch_batches = start_batch
        stop_now = None
        model, opt, scaler, sched = self.model, self.optimizer, self.scaler, self.scheduler
        first_log = self.steps_timed == 0
        for images, labels in loader:
            x, y = self.prepare(images, labels, train=True)
            with autocast(torch, self.amp):
                out = logits_of(model(x))
                loss = self.criterion(out, y)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            self.step += 1
            self.epoch_batches += 1
            win_steps += 1
            # Every training batch holds exactly batchSize images, so summed batch means scale exactly.
            ld = loss.detach()
            win_loss += ld
            win_correct += (out.detach().argmax(1) == y).sum()
            win_n += bs
            verdict = flags.push(ld, self.stop.requested)
            if verdict is not None:
                stop_now = self.check_flags(verdict, epoch)
            last = self.epoch_batches == spe or self.step >= self.total_steps
            if stop_now or last or win_steps == cfg["logEvery"]:
                # Settles the flags still in flight (in a distributed run, their collective) on every rank alike.
                verdict = flags.drain()
                if verdict is not None:
                    stop_now = self.check_flags(verdict, epoch) or stop_now
                lsum, csum, nsum = self.reduce_sums(win_loss * bs, win_correct, win_n)
                now = time.perf_counter()
                dt = now - win_t0
                ep_train_time += dt
                self.t_train += dt
                self.steps_timed += win_steps
                ep_loss += win_loss * bs
                ep_correct += win_correct
                ep_n += win_n
                if not math.isfinite(lsum):
                    raise NonFiniteLoss(nonfinite_message(lsum, epoch, self.step))
                if not last:
                    self.writer.emit({"type": "metric", "split": "train", "epoch": epoch + 1, "step": self.step,
                                      "loss": lsum / nsum, "accuracy": csum / nsum, "lr": opt.param_groups[0]["lr"],
                                      "imagesPerSecond": nsum / dt if dt > 0 else None, "scope": "window"})
                    if first_log:
                        first_log = False
                        self.status(epoch=epoch + 1, eta=self.eta())
                win_loss, win_correct, win_n, win_steps = zero(), zero(), 0, 0
                win_t0 = time.perf_counter()
                if stop_now:
                    break
                if last:
                    break
        if stop_now == "stop":
            if self.dist.main:
                self.save_checkpoint(epoch, self.epoch_batches)
            return "stopped"
        lsum, csum, nsum = self.reduce_sums(ep_loss, ep_correct, ep_n)
        if nsum > 0:
            self.writer.emit({"type": "metric", "split": "train", "epoch": epoch + 1, "step": self.step,
                              "loss": lsum / nsum, "accuracy": csum / nsum, "lr": opt.param_groups[0]["lr"],
                              "imagesPerSecond": nsum / ep_train_time if ep_train_time > 0 else None,
                              "scope": "epoch"})
        return "ok"

    def check_flags(self, verdict, epoch):
        nonfinite, stop = verdict
        if nonfinite:
            raise NonFiniteLoss(nonfinite_message(float("nan"), epoch, self.step))
        return "stop" if stop else None

    def validate(self, epoch):
        torch = self.torch
        if self.val_set is None or len(self.val_set) == 0:
            return
        t0 = time.perf_counter()
        model = self.bare_model
        model.eval()
        bs = self.cfg["batchSize"]
        mine = list(range(self.dist.rank, len(self.val_set), self.dist.world))
        batches = [mine[i:i + bs] for i in range(0, len(mine), bs)]
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device)
        n = 0
        crit = torch.nn.CrossEntropyLoss(reduction="sum")
        with torch.no_grad():
            for images, labels in batch_stream(torch, self.val_set, batches, self.cfg, self.cuda):
                x, y = self.prepare(images, labels, train=False)
                with autocast(torch, self.amp):
                    out = logits_of(model(x))
                loss_sum += crit(out.float(), y)
                correct += (out.argmax(1) == y).sum()
                n += y.shape[0]
        model.train()
        lsum, csum, nsum = self.reduce_sums(loss_sum, correct, n)
        self.t_val = time.perf_counter() - t0
        if nsum:
            if not math.isfinite(lsum):
                raise NonFiniteLoss(nonfinite_message(lsum, epoch, self.step, split="validation"))
            self.writer.emit({"type": "metric", "split": "val", "epoch": epoch + 1, "step": self.step,
                              "loss": lsum / nsum, "accuracy": csum / nsum})
            log("epoch %d step %d: val loss %.4f accuracy %.4f" % (epoch + 1, self.step, lsum / nsum, csum / nsum))


def load_checkpoint_file(torch, path, device):
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except TypeError:  # torch older than 1.13 has no weights_only
        return torch.load(path, map_location=device)
    except Exception as e:
        # Early weights-only unpicklers reject plain floats; the file is this runner's own, in the run directory.
        if "weights" not in str(e).lower():
            raise
        return torch.load(path, map_location=device, weights_only=False)


def nonfinite_message(value, epoch, step, split="training"):
    kind = "NaN" if value != value else "infinite"
    return ("%s loss became %s at step %d (epoch %d); the run was stopped. "
            "Try a lower learning rate, or check the model and data for invalid values" % (
                split, kind, step, epoch + 1))


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


# ---------------------------------------------------------------------------------------------------------
# Model helpers


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


def augment(torch, x):
    """Random crop with zero padding (an eighth of the side) and a horizontal flip, per image, on x's device."""
    n, c, h, w = x.shape
    ph, pw = max(1, h // 8), max(1, w // 8)
    padded = torch.nn.functional.pad(x, (pw, pw, ph, ph))
    oy = torch.randint(0, 2 * ph + 1, (n, 1), device=x.device)
    ox = torch.randint(0, 2 * pw + 1, (n, 1), device=x.device)
    rows = (oy + torch.arange(h, device=x.device)).view(n, 1, h, 1)
    cols = (ox + torch.arange(w, device=x.device)).view(n, 1, 1, w)
    flip = torch.rand(n, device=x.device) < 0.5
    cols = torch.where(flip.view(n, 1, 1, 1), cols.flip(3), cols)
    bi = torch.arange(n, device=x.device).view(n, 1, 1, 1)
    ci = torch.arange(c, device=x.device).view(1, c, 1, 1)
    return padded[bi, ci, rows, cols]


# ---------------------------------------------------------------------------------------------------------
# Data


class TensorSet:
    """Images as one uint8 [N, C, H, W] tensor plus int64 labels."""

    def __init__(self, images, labels):
        self.images = images
        self.labels = labels

    def __len__(self):
        return int(self.labels.shape[0])

    def nbytes(self):
        return self.images.numel() * self.images.element_size()

    def to(self, device):
        self.images = self.images.to(device)
        self.labels = self.labels.to(device)

    def take(self, torch, idx):
        i = torch.as_tensor(idx, dtype=torch.long, device=self.images.device)
        return self.images.index_select(0, i), self.labels.index_select(0, i)


class FileSet:
    """Image files decoded on demand (for folders too large to hold in memory)."""

    def __init__(self, files, labels, c, h, w):
        self.files = files
        self.labels = labels
        self.shape = (c, h, w)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        import torch

        return read_image(torch, self.files[i], *self.shape), self.labels[i]


def batch_stream(torch, ds, batches, cfg, cuda):
    if isinstance(ds, (TensorSet, SyntheticSet)):
        return (ds.take(torch, b) for b in batches)
    from torch.utils.data import DataLoader

    workers = cfg.get("workers")
    if not isinstance(workers, int) or workers < 0:
        workers = min(4, max(0, (os.cpu_count() or 1) - 1))
    return iter(DataLoader(ds, batch_sampler=batches, num_workers=workers, pin_memory=cuda,
                           worker_init_fn=_ignore_stop_signals if workers else None))


def split_indices(torch, n, val_split, seed):
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=g)
    n_val = int(round(n * val_split))
    if val_split > 0 and n_val == 0 and n > 1:
        n_val = 1
    return perm[n_val:], perm[:n_val]


def split_tensor(torch, images, labels, val_split, seed):
    tr, va = split_indices(torch, len(labels), val_split, seed)
    val = TensorSet(images[va], labels[va]) if len(va) else None
    return TensorSet(images[tr], labels[tr]), val


class SyntheticSet:
    """Images drawn on demand: each class is a smooth random colour pattern, and a sample is a shifted,
    rescaled copy of its class's pattern plus noise.

    Only per-sample parameters (a few numbers each) and a small bank of noise fields are stored; a batch is
    drawn where it is used (on the GPU, when training there), so even 224x224 data sets start instantly and
    cost no memory (sets that fit are still drawn once up front, see ``materialize``). Deterministic in (seed,
    size, shape, classes). A small ResNet learns it within a few epochs, and so does a linear classifier on the
    raw pixels: it shows that training works end to end, it says nothing about how good a model is."""

    GRID = 4
    BANK = 64

    def __init__(self, torch, n, c, h, w, classes, seed):
        g = torch.Generator().manual_seed(seed * 7919 + 17)
        self.shape = (c, h, w)
        self.coarse = torch.rand(classes, c, self.GRID, self.GRID, generator=g)
        self.colour = torch.rand(classes, c, 1, 1, generator=g)
        labels = torch.arange(n) % classes
        self.labels = labels[torch.randperm(n, generator=g)]
        sh, sw = max(1, h // 8), max(1, w // 8)
        self.dy = torch.randint(-sh, sh + 1, (n,), generator=g)
        self.dx = torch.randint(-sw, sw + 1, (n,), generator=g)
        self.contrast = 0.6 + 0.8 * torch.rand(n, generator=g)
        self.brightness = 0.3 * (torch.rand(n, generator=g) - 0.5)
        self.noise = torch.randint(0, self.BANK, (n,), generator=g)
        self.ny = torch.randint(0, h, (n,), generator=g)
        self.nx = torch.randint(0, w, (n,), generator=g)
        self.bank = 0.3 * torch.randn(self.BANK, c, h, w, generator=g)

    _PER_SAMPLE = ("labels", "dy", "dx", "contrast", "brightness", "noise", "ny", "nx")

    def __len__(self):
        return int(self.labels.shape[0])

    def subset(self, idx):
        out = object.__new__(SyntheticSet)
        out.__dict__.update(self.__dict__)
        for name in self._PER_SAMPLE:
            setattr(out, name, getattr(self, name)[idx])
        return out

    def to(self, device):
        for name in self._PER_SAMPLE + ("coarse", "colour", "bank"):
            setattr(self, name, getattr(self, name).to(device))

    def nbytes(self):
        c, h, w = self.shape
        return len(self) * c * h * w

    def materialize(self, torch):
        """Draws every image once (where this set lives) into a TensorSet: a batch is then one index away."""
        c, h, w = self.shape
        n = len(self)
        images = torch.empty(n, c, h, w, dtype=torch.uint8, device=self.labels.device)
        chunk = max(1, (1 << 25) // (c * h * w))
        for s in range(0, n, chunk):
            images[s:s + chunk] = self.take(torch, torch.arange(s, min(n, s + chunk), device=self.labels.device))[0]
        return TensorSet(images, self.labels.clone())

    def take(self, torch, idx):
        i = torch.as_tensor(idx, dtype=torch.long, device=self.labels.device)
        c, h, w = self.shape
        m = i.shape[0]
        lab = self.labels[i]
        dev = lab.device
        base = torch.nn.functional.interpolate(self.coarse[lab], size=(h, w), mode="bilinear", align_corners=False)
        base = 0.6 * base + 0.4 * self.colour[lab]
        ar_h, ar_w = torch.arange(h, device=dev), torch.arange(w, device=dev)
        mi = torch.arange(m, device=dev).view(m, 1, 1, 1)
        ci = torch.arange(c, device=dev).view(1, c, 1, 1)
        rows = (ar_h.view(1, h) - self.dy[i].view(m, 1)).clamp(0, h - 1).view(m, 1, h, 1)
        cols = (ar_w.view(1, w) - self.dx[i].view(m, 1)).clamp(0, w - 1).view(m, 1, 1, w)
        base = base[mi, ci, rows, cols]
        # Noise: a bank field, circularly shifted per sample, so that no two samples share a pattern.
        nrows = ((ar_h.view(1, h) + self.ny[i].view(m, 1)) % h).view(m, 1, h, 1)
        ncols = ((ar_w.view(1, w) + self.nx[i].view(m, 1)) % w).view(m, 1, 1, w)
        noise = self.bank[self.noise[i].view(m, 1, 1, 1), ci, nrows, ncols]
        x = (base - 0.5) * self.contrast[i].view(m, 1, 1, 1) + 0.5 + self.brightness[i].view(m, 1, 1, 1) + noise
        return (x.clamp(0, 1) * 255).round().to(torch.uint8), lab


def split_synthetic(torch, ds, val_split, seed):
    tr, va = split_indices(torch, len(ds), val_split, seed)
    return ds.subset(tr), (ds.subset(va) if len(va) else None)


def resize_uint8(torch, images, c, h, w):
    """Adapts stored images to the model's input: channel count (grey <-> RGB) and size."""
    if images.shape[1] != c:
        f = images.float()
        if c == 1:
            f = (f * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)[:, :f.shape[1]]).sum(1, keepdim=True) \
                if f.shape[1] == 3 else f.mean(1, keepdim=True)
        elif images.shape[1] == 1:
            f = f.expand(-1, c, -1, -1)
        else:
            raise RunError("the images have %d channels; the model wants %d" % (images.shape[1], c))
        images = f.round().clamp(0, 255).to(torch.uint8)
    if images.shape[2:] != (h, w):
        out = torch.empty(images.shape[0], c, h, w, dtype=torch.uint8)
        for s in range(0, images.shape[0], 1024):
            part = torch.nn.functional.interpolate(images[s:s + 1024].float(), size=(h, w), mode="bilinear",
                                                   align_corners=False)
            out[s:s + 1024] = part.round().clamp(0, 255).to(torch.uint8)
        images = out
    return images


def read_cifar_file(torch, path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == 0 or len(raw) % CIFAR_RECORD:
        raise RunError("%s is not a CIFAR-10 binary batch: %d bytes is not a multiple of %d" % (
            path, len(raw), CIFAR_RECORD))
    rows = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, CIFAR_RECORD)
    labels = rows[:, 0].long()
    if int(labels.max()) > 9:
        raise RunError("%s has label %d; CIFAR-10 labels are 0..9" % (path, int(labels.max())))
    return rows[:, 1:].reshape(-1, 3, 32, 32).clone(), labels.clone()


def load_cifar(torch, root, c, h, w, val_split, seed):
    names = sorted(n for n in os.listdir(root) if re.match(r"^data_batch_\d+\.bin$", n))
    parts = [read_cifar_file(torch, os.path.join(root, n)) for n in names]
    images = resize_uint8(torch, torch.cat([p[0] for p in parts]), c, h, w)
    labels = torch.cat([p[1] for p in parts])
    test = os.path.join(root, "test_batch.bin")
    if os.path.isfile(test):
        ti, tl = read_cifar_file(torch, test)
        log("CIFAR-10: validating on test_batch.bin (valSplit not used)")
        return TensorSet(images, labels), TensorSet(resize_uint8(torch, ti, c, h, w), tl)
    return split_tensor(torch, images, labels, val_split, seed)


def list_image_folder(root):
    classes = [d for d in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, d))]
    files, labels = [], []
    for k, cls in enumerate(classes):
        for dirpath, _, names in sorted(os.walk(os.path.join(root, cls))):
            for name in sorted(names):
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    files.append(os.path.join(dirpath, name))
                    labels.append(k)
    return classes, files, labels


def load_image_folder(torch, path, c, h, w, val_split, seed, preload_limit=PRELOAD_LIMIT_BYTES):
    split_dirs = [os.path.join(path, s) for s in ("train", "val")]
    if all(os.path.isdir(d) for d in split_dirs):
        classes, tf, tl = list_image_folder(split_dirs[0])
        vclasses, vf, vl = list_image_folder(split_dirs[1])
        if vclasses != classes:
            raise RunError("train/ and val/ in %s have different class folders" % path)
    else:
        classes, files, labels = list_image_folder(path)
        tr, va = split_indices(torch, len(files), val_split, seed)
        tf, tl = [files[i] for i in tr.tolist()], [labels[i] for i in tr.tolist()]
        vf, vl = [files[i] for i in va.tolist()], [labels[i] for i in va.tolist()]
    if not tf:
        raise RunError("no images (%s) under the class folders of %s" % (", ".join(IMAGE_EXTENSIONS), path))
    if len(classes) < 2:
        raise RunError("%s has %d class folder; training needs at least 2" % (path, len(classes)))
    probe = tf[0]
    read_image(torch, probe, c, h, w)  # fail now, with the file's name, if images cannot be read at all
    if (len(tf) + len(vf)) * c * h * w <= preload_limit:
        def load(fs, ls):
            if not fs:
                return None
            imgs = torch.empty(len(fs), c, h, w, dtype=torch.uint8)
            for i, f in enumerate(fs):
                imgs[i] = read_image(torch, f, c, h, w)
            return TensorSet(imgs, torch.tensor(ls, dtype=torch.long))

        return load(tf, tl), load(vf, vl), len(classes)
    return FileSet(tf, tl, c, h, w), (FileSet(vf, vl, c, h, w) if vf else None), len(classes)


def read_image(torch, path, c, h, w):
    """One image as uint8 [c, h, w]: through PIL when installed, else the built-in PNG/PPM readers."""
    try:
        from PIL import Image  # noqa: F401
        have_pil = True
    except ImportError:
        have_pil = False
    try:
        if have_pil:
            from PIL import Image

            with Image.open(path) as im:
                im = im.convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
                data = bytearray(im.tobytes())
            t = torch.frombuffer(data, dtype=torch.uint8).view(h, w, -1).permute(2, 0, 1)
            return resize_uint8(torch, t.unsqueeze(0).contiguous(), c, h, w)[0]
        lower = path.lower()
        if lower.endswith(".png"):
            hh, ww, ch, data = decode_png(path)
        elif lower.endswith((".ppm", ".pgm")):
            hh, ww, ch, data = decode_pnm(path)
        else:
            raise RunError("reading %s needs Pillow (pip install pillow); without it only PNG and PPM/PGM "
                           "images can be read" % path)
        t = torch.frombuffer(data, dtype=torch.uint8).view(hh, ww, ch).permute(2, 0, 1)
        if ch in (2, 4):
            t = t[:ch - 1]
        return resize_uint8(torch, t.unsqueeze(0).contiguous(), c, h, w)[0]
    except RunError:
        raise
    except Exception as e:
        raise RunError("cannot read image %s: %s: %s" % (path, type(e).__name__, e))


def decode_png(path):
    """8-bit, non-interlaced PNG (grey, grey+alpha, RGB, RGBA, palette) to (h, w, channels, bytearray)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, palette = 8, [], None
    width = height = depth = ctype = interlace = None
    while pos < len(raw):
        length, tag = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif tag == b"PLTE":
            palette = body
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    if depth != 8 or interlace:
        raise ValueError("only 8-bit non-interlaced PNGs can be read without Pillow")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    stride = width * channels
    data = zlib.decompress(b"".join(idat))
    out = bytearray(height * stride)
    prev = bytearray(stride)
    bpp = channels
    for y in range(height):
        ftype = data[y * (stride + 1)]
        line = bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                cc = prev[i - bpp] if i >= bpp else 0
                p = a + b - cc
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
                line[i] = (line[i] + pred) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    if ctype == 3:
        if palette is None:
            raise ValueError("palette PNG without a PLTE chunk")
        rgb = bytearray(height * width * 3)
        for i, v in enumerate(out):
            rgb[3 * i:3 * i + 3] = palette[3 * v:3 * v + 3]
        return height, width, 3, rgb
    return height, width, channels, out


def decode_pnm(path):
    with open(path, "rb") as f:
        raw = f.read()
    tokens, pos = [], 0
    while len(tokens) < 4:
        while raw[pos:pos + 1].isspace():
            pos += 1
        if raw[pos:pos + 1] == b"#":
            pos = raw.index(b"\n", pos)
            continue
        start = pos
        while not raw[pos:pos + 1].isspace():
            pos += 1
        tokens.append(raw[start:pos])
    magic, w, h, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if magic not in (b"P5", b"P6") or maxval != 255:
        raise ValueError("only binary 8-bit PPM (P6) and PGM (P5) can be read without Pillow")
    ch = 3 if magic == b"P6" else 1
    data = bytearray(raw[pos + 1:pos + 1 + w * h * ch])
    return h, w, ch, data


def channel_stats(torch, ds):
    """Per-channel mean/std (0..1 scale) from a sample of the training images (at most ~64M values)."""
    if isinstance(ds, (TensorSet, SyntheticSet)):
        n = len(ds)
        c, h, w = ds.shape if isinstance(ds, SyntheticSet) else ds.images.shape[1:]
        k = max(16, min(4096, (1 << 26) // max(1, c * h * w)))
        idx = torch.randperm(n, generator=torch.Generator().manual_seed(0))[:k].tolist()
        sample = ds.take(torch, idx)[0].float() / 255.0
    else:
        k = min(len(ds), 256)
        sample = torch.stack([ds[i][0] for i in range(0, len(ds), max(1, len(ds) // k))][:k]).float() / 255.0
    mean = sample.mean(dim=(0, 2, 3))
    std = sample.std(dim=(0, 2, 3)).clamp_min(1e-3)
    return mean.cpu(), std.cpu()


def clear_rank_errors(run_dir):
    """Reports from an earlier attempt must not turn this attempt's stop into a failure."""
    error_dir = os.path.join(run_dir, "errors")
    if os.path.isdir(error_dir):
        for name in os.listdir(error_dir):
            try:
                os.remove(os.path.join(error_dir, name))
            except OSError:
                pass


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------------------
# Entry point


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
        global _LOG_PREFIX, _LOG_QUIET
        _LOG_PREFIX = "[resnet-studio rank %d] " % dist.rank
        _LOG_QUIET = not dist.main
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
