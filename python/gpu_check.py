#!/usr/bin/env python3
"""One short device check of the PyTorch runner on a CUDA machine; needs torch only (no torchvision).

    python3 python/gpu_check.py [--steps 40] [--batch 256] [--warmup 10]

Trains ResNet-50 on 224x224 synthetic images with mixed precision through python/resnet_studio_train.py for a
fixed number of steps, then runs the bare training loop (bench/bare_loop.py) on the same model and batch, and
prints the device and both rates. Both rates exclude the first `warmup` steps (cuDNN autotuning). Well under
three minutes on a current data-centre GPU; the largest fixed cost is making the synthetic images.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = os.path.join(ROOT, "bench", "resnet_models.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--skip-bare", action="store_true")
    # For rehearsing this script where there is no GPU: --device cpu --size 64 --batch 4 --steps 4 --warmup 2
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--size", type=int, default=224)
    a = ap.parse_args()
    import torch

    print("torch %s, CUDA available: %s, devices: %s" % (
        torch.__version__, torch.cuda.is_available(),
        [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]), flush=True)
    if a.device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: no CUDA device; nothing to check", file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="rs-gpu-check-")
    run_dir = os.path.join(work, "run")
    config = {
        "modelFile": MODELS, "modelName": "resnet50", "modelArgs": "num_classes=1000",
        "inputShape": [a.batch, 3, a.size, a.size], "data": "synthetic", "syntheticSize": a.batch * a.steps,
        "valSplit": 0, "epochs": 1, "maxSteps": a.steps, "batchSize": a.batch, "lr": 0.1, "optimizer": "sgd",
        "schedule": "cosine", "augment": True, "device": a.device, "amp": True, "logEvery": a.warmup,
        "keepCheckpoints": 1, "runDir": run_dir,
    }
    cfg_path = os.path.join(work, "config.json")
    with open(cfg_path, "w") as f:
        json.dump(config, f)
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "resnet_studio_train.py"), "--config", cfg_path],
                            stdout=subprocess.PIPE, text=True)
    rows = []
    for line in proc.stdout:
        row = json.loads(line)
        rows.append(row)
        if row["type"] == "metric":
            print("  step %4d  loss %.3f  %6.0f img/s (%s)" % (
                row["step"], row["loss"], row.get("imagesPerSecond") or 0, row.get("scope")), flush=True)
        elif row["type"] in ("status", "end") and (row.get("message") or row["type"] == "end"):
            print("  %s" % json.dumps(row), flush=True)
    proc.wait()
    end = rows[-1] if rows else {}
    if end.get("type") != "end" or end.get("status") != "completed":
        print("gpu_check: the runner did not complete: %r" % (end,), file=sys.stderr)
        return 1
    device = next(r["device"] for r in rows if r["type"] == "status" and r.get("device"))
    train = [r for r in rows if r["type"] == "metric" and r["split"] == "train"]
    first = next(r for r in train if r["step"] == a.warmup)
    last = next(r for r in train if r["step"] == a.steps)
    runner_ips = (last["step"] - first["step"]) * a.batch / (last["time"] - first["time"])
    print("runner: %s, ResNet-50 %dx%d batch %d AMP: %.0f img/s (steps %d..%d; whole run %.0f s)" % (
        device, a.size, a.size, a.batch, runner_ips, a.warmup + 1, a.steps, time.time() - t0), flush=True)
    if a.skip_bare:
        return 0
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "bare_loop.py"), "--model-file", MODELS,
                          "--model-name", "resnet50", "--model-args", "num_classes=1000", "--shape", "3,%d,%d" % (a.size, a.size),
                          "--batch", str(a.batch), "--steps", str(a.steps), "--warmup", str(a.warmup),
                          "--device", a.device], stdout=subprocess.PIPE, text=True, check=True).stdout
    marks = {m["event"]: m for m in (json.loads(l) for l in out.splitlines() if l.strip())}
    bare_ips = (marks["done"]["step"] - marks["warm"]["step"]) * a.batch / (marks["done"]["time"] - marks["warm"]["time"])
    print("bare loop: %.0f img/s; runner/bare = %.2fx" % (bare_ips, runner_ips / bare_ips), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
