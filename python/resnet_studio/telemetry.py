"""Layer telemetry: every ``telemetryEvery`` steps (and at step 1), one ``layer`` row per parameterised layer
(gradient norm, weight norm, update-to-weight ratio, output mean and std), per ReLU (zero and dead fractions)
and per residual add (branch-to-skip ratio), keyed by the IR's node names so the graph and the source can
place them. Hooks exist only during a sampled step, and every statistic stays on the device until one
transfer at the end of it, so the steps in between cost nothing and a sampled one little. In a data-parallel
run only rank 0 records; the gradients it reads are the all-reduced ones, as backward() leaves them."""

import math

from .log import log

_PARAM_STATS = ("gradNorm", "weightNorm", "updateRatio", "actMean", "actStd")
_RELU_STATS = ("zeroFraction", "deadFraction")


def _first_tensor(torch, value):
    if torch.is_tensor(value):
        return value
    if isinstance(value, (tuple, list)) and value and torch.is_tensor(value[0]):
        return value[0]
    return None


def _short(v):
    """Four significant digits: the rows stay small and no plot needs more."""
    return float("%.4g" % v)


def parse_probes(entries, parts):
    """Splits 'a|b|c' config entries; malformed ones are skipped (the host writes them, but a user may edit)."""
    out = []
    for e in entries or []:
        fields = e.split("|")
        if len(fields) == parts and all(fields[:2]):
            out.append(fields)
    return out


class Telemetry:
    def __init__(self, torch, model, cfg, writer, enabled):
        self.torch = torch
        self.writer = writer
        every = int(cfg.get("telemetryEvery") or 0)
        self.every = every if enabled else 0
        if not self.every:
            return
        nn = torch.nn
        modules = dict(model.named_modules())
        self.layers = []
        for name, m in modules.items():
            params = [p for p in m.parameters(recurse=False) if p.requires_grad]
            if name and params:
                self.layers.append((name, m, params))
        # ReLU modules are measured at their own output; functional ones through the module next to them.
        self.relus = [(name, m, True) for name, m in modules.items() if name and isinstance(m, nn.ReLU)]
        missing = []
        for key, path in parse_probes(cfg.get("telemetryRelus"), 2):
            post = path.startswith(">")
            m = modules.get(path[1:] if post else path)
            if m is None:
                missing.append(path)
            else:
                self.relus.append((key, m, post))
        self.blocks = []
        for key, branch, skip in parse_probes(cfg.get("telemetryBlocks"), 3):
            as_input = skip.startswith("<")
            bm, sm = modules.get(branch), modules.get(skip[1:] if as_input else skip)
            if bm is None or sm is None:
                missing.append(branch if bm is None else skip)
            else:
                self.blocks.append((key, bm, sm, as_input))
        if missing:
            log("telemetry: the model has no module %s; those probes are left out" % ", ".join(sorted(set(missing))))
        self.handles = []

    def wants(self, step):
        """Whether the step about to be taken (counted from 1) is sampled."""
        return bool(self.every) and (step == 1 or step % self.every == 0)

    # -- one sampled step -------------------------------------------------------------------------------

    def begin(self):
        torch = self.torch
        self.acts = {}  # key -> list of (mean, std) or (zero, dead) tensors, one per call
        self.norms = {}  # (block key, 'branch' | 'skip') -> list of norms

        def stat_hook(key):
            def hook(_m, _inp, out):
                t = _first_tensor(torch, out)
                if t is not None and t.is_floating_point():
                    with torch.no_grad():
                        f = t.detach().float()
                        self.acts.setdefault(key, []).append(torch.stack([f.mean(), f.std(unbiased=False)]))
            return hook

        def relu_hook(key, post):
            def hook(_m, _inp, out):
                t = _first_tensor(torch, out)
                if t is not None and t.is_floating_point():
                    with torch.no_grad():
                        off = (t.detach() == 0) if post else (t.detach() <= 0)
                        per_unit = off.transpose(0, 1).reshape(off.shape[1], -1) if off.dim() >= 2 else off.reshape(1, -1)
                        dead = per_unit.all(dim=1).float().mean()
                        self.acts.setdefault(key, []).append(torch.stack([off.float().mean(), dead]))
            return hook

        def norm_hook(key, side, as_input):
            def hook(_m, inp, out=None):
                t = _first_tensor(torch, inp if as_input else out)
                if t is not None:
                    with torch.no_grad():
                        self.norms.setdefault((key, side), []).append(t.detach().float().norm())
            return hook

        reg = self.handles.append
        for name, m, _ in self.layers:
            reg(m.register_forward_hook(stat_hook(name)))
        for key, m, post in self.relus:
            reg(m.register_forward_hook(relu_hook(key, post)))
        for key, bm, sm, as_input in self.blocks:
            reg(bm.register_forward_hook(norm_hook(key, "branch", False)))
            if as_input:
                reg(sm.register_forward_pre_hook(norm_hook(key, "skip", True)))
            else:
                reg(sm.register_forward_hook(norm_hook(key, "skip", False)))

    def after_backward(self, scaler):
        """Between backward() and the optimiser step: gradient and weight norms, and the weights to diff."""
        torch = self.torch
        self.remove_hooks()
        inv = 1.0 / scaler.get_scale() if scaler.is_enabled() else 1.0
        zero = torch.zeros(())
        self.before = []
        self.grad_w = []
        with torch.no_grad():
            for _, _, params in self.layers:
                grads = [p.grad.detach().float().pow(2).sum() for p in params if p.grad is not None]
                g = torch.stack(grads).sum().sqrt() * inv if grads else zero.to(params[0].device)
                w = torch.stack([p.detach().float().pow(2).sum() for p in params]).sum().sqrt()
                self.grad_w.append(torch.stack([g, w]))
                self.before.append([p.detach().clone() for p in params])

    def finish(self, step):
        """After the optimiser step: the update norms, then one transfer and the rows."""
        torch = self.torch
        with torch.no_grad():
            upd = []
            for (_, _, params), old in zip(self.layers, self.before):
                upd.append(torch.stack([(p.detach().float() - o.float()).pow(2).sum() for p, o in zip(params, old)]).sum().sqrt())
        self.before = None
        values, plan = [], []
        for (name, _, _), gw, u in zip(self.layers, self.grad_w, upd):
            calls = self.acts.get(name)
            act = torch.stack(calls).mean(0).to(gw.device) if calls else None
            values.append(torch.cat([gw, u.reshape(1)] + ([act] if act is not None else [])))
            plan.append((name, "param", act is not None))
        for key, _, _ in self.relus:
            calls = self.acts.get(key)
            if calls and key not in [p[0] for p in plan if p[1] == "relu"]:
                values.append(torch.stack(calls).mean(0))
                plan.append((key, "relu", True))
        for key, _, _, _ in self.blocks:
            b, s = self.norms.get((key, "branch")), self.norms.get((key, "skip"))
            if b and s:
                values.append(torch.stack([torch.stack(b).mean(), torch.stack(s).mean()]))
                plan.append((key, "block", True))
        self.acts, self.norms, self.grad_w = {}, {}, []
        if not values:
            return
        flat = torch.cat([v.reshape(-1).float().cpu() for v in values]).tolist()
        i = 0
        for key, kind, has_act in plan:
            stats = {}
            if kind == "param":
                g, w, u = flat[i:i + 3]
                i += 3
                stats["gradNorm"], stats["weightNorm"] = g, w
                stats["updateRatio"] = u / w if w > 0 else (0.0 if u == 0 else float("inf"))
                if has_act:
                    stats["actMean"], stats["actStd"] = flat[i:i + 2]
                    i += 2
            elif kind == "relu":
                stats["zeroFraction"], stats["deadFraction"] = flat[i:i + 2]
                i += 2
            else:
                b, s = flat[i:i + 2]
                i += 2
                stats["branchRatio"] = b / s if s > 0 else (0.0 if b == 0 else float("inf"))
            row = {"type": "layer", "step": step, "module": key}
            bad = [k for k, v in stats.items() if not math.isfinite(v)]
            row.update({k: _short(v) for k, v in stats.items() if math.isfinite(v)})
            if bad:
                row["nonFinite"] = bad
            self.writer.emit(row)

    def remove_hooks(self):
        for h in self.handles:
            h.remove()
        self.handles = []
