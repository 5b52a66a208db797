"""What real PyTorch gives for each case of test/fixtures/ops/cases.json: the output shape, the learnable
parameter count of the module, its MACs (counted as scripts/torchOracle.py counts them), or the exception.

Usage: opCases.py CASES.json   prints a JSON list with one result per case, in order (null for cases
marked "torch": null, which have no PyTorch counterpart).
"""
import json
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchOracle import _macs  # noqa: E402  (one MAC rule for every oracle)


def run(case):
    if "torch" in case and case["torch"] is None:
        return None
    xs = [torch.rand(tuple(shape)) for shape in case["inputs"]]  # a tuple, so [] is a 0-d tensor
    env = {"torch": torch, "nn": nn, "F": F, **{f"x{i}": x for i, x in enumerate(xs)}}
    module = None
    params = 0
    try:
        if "module" in case:
            module = eval(case["module"], env)  # noqa: S307 (our own fixture text)
            params = sum(p.numel() for p in module.parameters() if p.requires_grad)
            out = module(*xs)
        else:
            out = eval(case["expr"], env)  # noqa: S307
    except Exception as e:  # PyTorch's own error is the expected result
        return {"shape": None, "params": params if module is not None else None, "macs": None, "raises": type(e).__name__}
    macs = _macs(module, tuple(xs), out) if module is not None else 0
    return {"shape": list(out.shape), "params": params, "macs": macs, "raises": None}


def main():
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    json.dump([run(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
