#!/usr/bin/python3.11
"""Ground truth for ResNet Studio's static PyTorch reader, computed by real PyTorch.

    torchOracle.py FILE --model NAME [--args "PYTHON CALL ARGS"] [--input N,C,H,W] [--path DIR ...]
    torchOracle.py --batch CASES.json

The single-case form prints one JSON object:

    {model, input, output, params, macs,
     layers: [{name, type, line, outputShape, params, macs}],
     error: null | {line, lineFrom, message, type, module}}

The batch form runs every case of CASES.json in this one process (so torch is
imported once) and prints a JSON array of such objects, in order. CASES.json is
a JSON array of {file, model, args, input[, torchPath]}, or the fixtures manifest
(test/fixtures/manifest.json), whose oracle rows (those with a "torch" entry)
are then the cases.

--path DIR (a row's "torchPath") puts DIR first on sys.path for PyTorch alone:
it holds modules a fixture imports that the static analysis must not see (a
private package), so one row states both what PyTorch gives and what the
analysis, left with an unresolved import, must still get right.

Conventions, chosen to match what model zoos publish:
- params: sum of ``p.numel()`` over ``model.parameters()``; buffers (BatchNorm
  running statistics) are not parameters.
- macs: multiply-accumulates of Conv2d, ConvTranspose2d and Linear modules only,
  for one sample (the batch size N divides out). Conv: out.numel()/N *
  in_channels/groups * kh * kw. ConvTranspose: in.numel()/N * out_channels/groups
  * kh * kw. Linear: in_features * out.numel()/N. Biases, norms, activations,
  pooling and additions cost nothing, and functional calls (F.conv2d) are not
  seen. A module called twice is counted twice, whether through module(x) or
  module.forward(x).
- layers: every entry of ``model.named_modules()`` except the root. params and
  macs of a layer include its submodules, so containers show subtotals.
  ``line`` is the line of the fixture file whose call constructed the module;
  ``outputShape`` is from the module's last call, null if it never ran.
- error.line: the line of the deepest traceback frame inside FILE, i.e. the
  line of the model's own source where PyTorch raised (lineFrom "traceback").
  When no frame of FILE is on the stack (a bare nn.Sequential model), it is
  the constructor line of the failing module instead (lineFrom "module").
  Construction errors count too. error.module is the named_modules path of the innermost module
  whose forward was running, "" for the root, null outside any forward.

The forward pass runs under torch.no_grad() in eval mode on zeros.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
from types import FrameType, ModuleType, TracebackType
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn as nn


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


class _ConstructionLines:
    """Remembers, for each module instance, the fixture line that constructed it.

    nn.Module.__init__ is wrapped for the duration of construction; from inside
    it the stack is walked outwards to the first frame in the fixture file that
    is not the ``__init__`` of the very object being built (a ``super().__init__()``
    line is not where the module was made).
    """

    def __init__(self, fixture: str) -> None:
        self.fixture = fixture
        self.lines: Dict[int, int] = {}
        self._original = nn.Module.__init__

    def __enter__(self) -> "_ConstructionLines":
        original = self._original
        lines = self.lines
        fixture = self.fixture

        def traced_init(module: nn.Module, *args: Any, **kwargs: Any) -> None:
            frame: Optional[FrameType] = sys._getframe(1)
            while frame is not None:
                if _real(frame.f_code.co_filename) == fixture and frame.f_locals.get("self") is not module:
                    lines[id(module)] = frame.f_lineno
                    break
                frame = frame.f_back
            original(module, *args, **kwargs)

        nn.Module.__init__ = traced_init  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        nn.Module.__init__ = self._original  # type: ignore[method-assign]


def _shape(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, (tuple, list)):
        return [_shape(v) for v in value]
    return None


def _fixture_line(tb: Optional[TracebackType], fixture: str) -> Optional[int]:
    line = None
    while tb is not None:
        if _real(tb.tb_frame.f_code.co_filename) == fixture:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _error(exc: BaseException, fixture: str, module: Optional[str], module_line: Optional[int] = None) -> Dict[str, Any]:
    line = _fixture_line(exc.__traceback__, fixture)
    line_from = "traceback"
    if line is None and isinstance(exc, SyntaxError) and exc.filename and _real(exc.filename) == fixture:
        line = exc.lineno
    if line is None and module_line is not None:
        # No frame of the fixture is on the stack when the model is a bare
        # nn.Sequential: only torch's code ran. The failing layer's
        # constructor call is then the line to blame.
        line, line_from = module_line, "module"
    message = str(exc) or type(exc).__name__
    return {
        "line": line,
        "lineFrom": line_from if line is not None else None,
        "message": message,
        "type": type(exc).__name__,
        "module": module,
    }


_loaded: Dict[str, ModuleType] = {}


def _package_of(fixture: str) -> Optional[Tuple[str, str]]:
    """The folder above a fixture's top package and its dotted module name; None when it is in no package."""
    directory = os.path.dirname(fixture)
    parts = [os.path.splitext(os.path.basename(fixture))[0]]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parts.insert(0, os.path.basename(directory))
        directory = os.path.dirname(directory)
    if len(parts) == 1:
        return None
    if parts[-1] == "__init__":
        parts.pop()
    return directory, ".".join(parts)


def _load(fixture: str) -> ModuleType:
    if fixture in _loaded:
        return _loaded[fixture]
    package = _package_of(fixture)
    if package is not None:
        # A module of a package is imported by its name, so its relative imports resolve as they do for users.
        root, name = package
        if root not in sys.path:
            sys.path.insert(0, root)
        _loaded[fixture] = importlib.import_module(name)
        return _loaded[fixture]
    directory = os.path.dirname(fixture)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = "resnet_studio_fixture_%d" % len(_loaded)
    spec = importlib.util.spec_from_file_location(name, fixture)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {fixture}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    _loaded[fixture] = module
    return module


def _macs(module: nn.Module, inputs: Tuple[Any, ...], output: torch.Tensor) -> int:
    batch = output.shape[0] if output.dim() > 0 else 1
    per_sample = output.numel() // batch if batch else 0
    if isinstance(module, nn.ConvTranspose2d):
        # every input element is multiplied into a kernel of out_channels/groups * kh * kw outputs
        x = inputs[0] if inputs and isinstance(inputs[0], torch.Tensor) else None
        if x is None:
            return 0
        in_per_sample = x.numel() // (x.shape[0] if x.dim() > 0 and x.shape[0] else 1)
        kh, kw = module.kernel_size
        return in_per_sample * (module.out_channels // module.groups) * kh * kw
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return per_sample * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        # in_features * out_features * (positions per sample), positions = per_sample / out_features
        return module.in_features * per_sample
    return 0


def run_case(file: str, model_name: str, args: Optional[str], input_shape: List[int], paths: Optional[List[str]] = None) -> Dict[str, Any]:
    fixture = _real(file)
    for extra in reversed(paths or []):
        if _real(extra) not in sys.path:
            sys.path.insert(0, _real(extra))
    result: Dict[str, Any] = {
        "model": model_name,
        "input": list(input_shape),
        "output": None,
        "params": None,
        "macs": None,
        "layers": [],
        "error": None,
    }
    torch.manual_seed(0)

    lines = _ConstructionLines(fixture)
    try:
        namespace = _load(fixture)
        if not hasattr(namespace, model_name):
            raise AttributeError(f"{os.path.basename(file)} defines no '{model_name}'")
        scope = dict(vars(namespace))
        scope["__resnet_studio_target__"] = getattr(namespace, model_name)
        with lines:
            model = eval("__resnet_studio_target__(%s)" % (args or ""), scope)
        if not isinstance(model, nn.Module):
            raise TypeError(f"{model_name}({args or ''}) returned {type(model).__name__}, not an nn.Module")
    except Exception as exc:  # construction or import failed: that is a result, not a crash
        result["error"] = _error(exc, fixture, None)
        return result

    model.eval()
    result["params"] = sum(p.numel() for p in model.parameters())

    names: Dict[int, str] = {id(m): n for n, m in model.named_modules()}
    outputs: Dict[int, Any] = {}
    own_macs: Dict[int, int] = {}
    running: List[nn.Module] = []

    # Each module's forward is wrapped on the instance (not hooked): `module(x)` and a direct
    # `module.forward(x)` both run through it, and forward hooks would miss the latter.
    def wrap(module: nn.Module) -> None:
        original = module.forward

        def forward(*args: Any, **kwargs: Any) -> Any:
            running.append(module)
            output = original(*args, **kwargs)
            running.pop()
            outputs[id(module)] = _shape(output)
            if isinstance(output, torch.Tensor):
                own_macs[id(module)] = own_macs.get(id(module), 0) + _macs(module, args, output)
            return output

        module.forward = forward  # type: ignore[method-assign]

    wrapped = list(model.modules())
    for module in wrapped:
        wrap(module)

    try:
        with torch.no_grad():
            output = model(torch.zeros(*input_shape))
        result["output"] = _shape(output)
    except Exception as exc:
        culprit = running[-1] if running else None
        result["error"] = _error(
            exc,
            fixture,
            names.get(id(culprit)) if culprit is not None else None,
            lines.lines.get(id(culprit)) if culprit is not None else None,
        )
    finally:
        for module in wrapped:
            module.__dict__.pop("forward", None)

    result["macs"] = sum(own_macs.values()) if result["error"] is None else None
    for name, module in model.named_modules():
        if name == "":
            continue
        result["layers"].append(
            {
                "name": name,
                "type": type(module).__name__,
                "line": lines.lines.get(id(module)),
                "outputShape": outputs.get(id(module)),
                "params": sum(p.numel() for p in module.parameters()),
                "macs": sum(own_macs.get(id(m), 0) for m in module.modules()),
            }
        )
    return result


def _parse_input(text: str) -> List[int]:
    dims = [int(part) for part in text.replace("(", "").replace(")", "").split(",") if part.strip()]
    if not dims or any(d <= 0 for d in dims):
        raise argparse.ArgumentTypeError(f"bad input shape {text!r}")
    return dims


def _quiet(fn: Any, *args: Any) -> Any:
    """Runs fn with the model's own print() output sent to stderr, so stdout holds only our JSON."""
    with contextlib.redirect_stdout(sys.stderr):
        return fn(*args)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?")
    parser.add_argument("--model")
    parser.add_argument("--args", default=None, help='Python call arguments, e.g. "num_classes=10"')
    parser.add_argument("--input", type=_parse_input, default=[1, 3, 224, 224], help="N,C,H,W")
    parser.add_argument("--path", action="append", default=[], help="a folder put first on sys.path (modules only PyTorch may see)")
    parser.add_argument("--batch", help="a JSON array of cases or the fixtures manifest: run every case, print a JSON array")
    opts = parser.parse_args(argv)

    if opts.batch:
        with open(opts.batch) as handle:
            rows = json.load(handle)
        if isinstance(rows, dict):
            # The fixtures manifest: its oracle rows are those with a "torch" entry (null until measured).
            rows = [row for row in rows["rows"] if "torch" in row]
        root = os.path.dirname(os.path.abspath(opts.batch))
        out = []
        for row in rows:
            # Manifest paths are relative to the repository root, which is the
            # working directory of every caller; fall back to the manifest's folder.
            path = row["file"] if os.path.exists(row["file"]) else os.path.join(root, os.path.basename(row["file"]))
            extra = [row["torchPath"]] if row.get("torchPath") else []
            out.append(_quiet(run_case, path, row["model"], row.get("args"), row["input"], extra))
        json.dump(out, sys.stdout)
        sys.stdout.write("\n")
        return 0

    if not opts.file or not opts.model:
        parser.error("FILE and --model are required unless --batch is given")
    json.dump(_quiet(run_case, opts.file, opts.model, opts.args, opts.input, opts.path), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
