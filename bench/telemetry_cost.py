"""What layer telemetry costs the PyTorch runner: the runner's own Telemetry hooks on a model, timed step by step
on the CPU. Plain and sampled training steps alternate (so machine load drifts evenly over both); with their
median times p and s, a run sampling every N steps keeps N*p / ((N-1)*p + s) of the throughput it has without
telemetry. Prints one JSON object. Used by bench/training.bench.ts; argv: a JSON object of settings."""
import importlib.util
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from resnet_studio.telemetry import Telemetry  # noqa: E402


class _Rows:
    count = 0

    def emit(self, _row):
        self.count += 1


class _NoScaler:
    def is_enabled(self):
        return False


def main():
    o = json.loads(sys.argv[1])
    torch.set_num_threads(o.get("threads", 1))
    spec = importlib.util.spec_from_file_location("bench_model", o["modelFile"])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    torch.manual_seed(0)
    model = getattr(mod, o["modelName"])(**o.get("modelKwargs", {}))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    rows = _Rows()
    tel = Telemetry(torch, model, dict(o["probes"], telemetryEvery=1), rows, True)
    _, c, h, w = o["inputShape"]
    x = torch.randn(o["batch"], c, h, w)
    y = torch.randint(0, 10, (o["batch"],))
    crit = torch.nn.CrossEntropyLoss()

    def step(sampled):
        t0 = time.perf_counter()
        if sampled:
            tel.begin()
        loss = crit(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if sampled:
            tel.after_backward(_NoScaler())
        opt.step()
        if sampled:
            tel.finish(1)
        return time.perf_counter() - t0

    for _ in range(2):
        step(False)
        step(True)
    plain, sampled = [], []
    for _ in range(o["pairs"]):
        plain.append(step(False))
        sampled.append(step(True))
    med = lambda v: sorted(v)[len(v) // 2]
    p, s = med(plain), med(sampled)
    n = o["every"]
    print(json.dumps({"plainStep": p, "sampledStep": s, "rowsPerSample": rows.count // (o["pairs"] + 2),
                      "ratio": n * p / ((n - 1) * p + s)}))


main()
