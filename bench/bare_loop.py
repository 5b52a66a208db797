#!/usr/bin/env python3
"""The baseline for the runner's overhead: the plainest PyTorch training loop for a model, on one fixed batch
that already sits on the device. Same optimiser, mixed precision and memory format as the runner uses.

    bare_loop.py --model-file F --model-name N [--model-args S] --shape C,H,W --batch B --steps S --warmup W
                 [--device auto|cpu|cuda] [--no-amp] [--threads T]

Prints one JSON line when the warm-up steps are done and one when all steps are, each with the wall-clock
time after the device finished its queued work, so a caller can compute images per second.
"""
import argparse
import contextlib
import importlib.util
import json
import sys
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-file", required=True)
    ap.add_argument("--model-name", required=True)
    ap.add_argument("--model-args", default="")
    ap.add_argument("--shape", required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--warmup", type=int, required=True)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--no-amp", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--lr", type=float, default=0.1)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    cuda = torch.cuda.is_available() and a.device in ("auto", "cuda")
    dev = torch.device("cuda" if cuda else "cpu")
    if cuda:
        torch.backends.cudnn.benchmark = True
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("bench_model", a.model_file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ns = dict(vars(mod))
    ns["__call__"] = lambda *p, **k: (p, k)
    pos, kw = eval("__call__(%s)" % a.model_args, ns)
    torch.manual_seed(0)
    model = getattr(mod, a.model_name)(*pos, **kw).to(dev)
    c, h, w = (int(v) for v in a.shape.split(","))
    x = torch.randn(a.batch, c, h, w, device=dev)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        classes = model.eval()(x[:2]).shape[1]
    model.train()
    y = torch.randint(0, classes, (a.batch,), device=dev)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4)
    amp = cuda and not a.no_amp
    scaler = torch.cuda.amp.GradScaler(enabled=amp)
    crit = torch.nn.CrossEntropyLoss()

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def mark(event, step):
        sync()
        print(json.dumps({"event": event, "step": step, "time": time.time(),
                          "device": torch.cuda.get_device_name(0) if cuda else "cpu"}), flush=True)

    for step in range(1, a.steps + 1):
        opt.zero_grad(set_to_none=True)
        with (torch.autocast(device_type="cuda", dtype=torch.float16) if amp else contextlib.nullcontext()):
            loss = crit(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        if step == a.warmup:
            mark("warm", step)
    mark("done", a.steps)


if __name__ == "__main__":
    sys.exit(main())
