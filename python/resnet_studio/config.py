"""The run's ``config.json``: defaults and the checks that need no torch (so a bad config fails at once)."""

import json
import os

from .errors import RunError


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
