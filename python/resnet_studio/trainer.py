"""The training run: device, model, data, optimiser, the loop with its metric rows, validation and
checkpoints, resuming, and stopping on request (agreed across ranks in a distributed run)."""

import importlib.util
import math
import os
import sys
import time

from .checkpoints import CHECKPOINT_RE, fsync_dir, load_checkpoint_file
from .data import load_dataset
from .data_core import PRELOAD_LIMIT_BYTES, TensorSet, augment, batch_stream, channel_stats
from .data_synthetic import SyntheticSet
from .errors import NonFiniteLoss, RunError, nonfinite_message
from .log import log
from .model_utils import autocast, logits_of, make_grad_scaler
from .step_flags import StepFlags
from .telemetry import Telemetry

BACKEND = "pytorch"


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
        train, val, self.data_desc, self.dataset_classes = load_dataset(
            torch, self.cfg, self.num_classes, self.device, self.cuda)
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
        self.norm_scale = (1.0 / (255.0 * std)).float().to(self.device).view(1, -1, 1, 1)
        self.norm_shift = (-mean / std).float().to(self.device).view(1, -1, 1, 1)
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
        fsync_dir(self.ckpt_dir)
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
        self.telemetry = Telemetry(torch, self.bare_model, cfg, self.writer, self.dist.main)

        val_size = len(self.val_set) if self.val_set is not None else 0
        if self.resumed_from:
            message = "resumed from %s at step %d" % self.resumed_from
        elif cfg["resume"]:
            message = "no checkpoint to resume from; starting at step 0"
        else:
            message = "training on %s" % self.data_desc
        # Where this attempt starts: readers drop the rows of earlier attempts past this step.
        self.writer.emit(dict({"type": "start", "step": self.step},
                              **({"resumedFrom": self.resumed_from[0]} if self.resumed_from else {})))
        params = sum(p.numel() for p in self.bare_model.parameters() if p.requires_grad)
        self.status(message=message, trainSize=len(self.train_set), valSize=val_size,
                    epoch=start_epoch + 1, params=params, runtime="torch", runtimeVersion=torch.__version__)
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
               "stepsPerEpoch": self.steps_per_epoch, "totalSteps": self.total_steps, "step": self.step,
               "worldSize": self.dist.world}
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
        telemetry = self.telemetry
        for images, labels in loader:
            x, y = self.prepare(images, labels, train=True)
            sampled = telemetry.wants(self.step + 1)
            if sampled:
                telemetry.begin()
            with autocast(torch, self.amp):
                out = logits_of(model(x))
                loss = self.criterion(out, y)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if sampled:
                telemetry.after_backward(scaler)
            scaler.step(opt)
            scaler.update()
            sched.step()
            self.step += 1
            if sampled:
                telemetry.finish(self.step)
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
