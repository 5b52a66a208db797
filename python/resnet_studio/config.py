"""The run's ``config.json``: checked against ``run_config.schema.json`` (generated from the training contract,
``src/protocol/trainingProtocol.ts``) and completed with that schema's defaults, before torch is imported, so
a bad config fails at once and is refused by the same rules, in the same words, as by the TF.js runner."""

import json
import os

from .config_schema import coerce_integers, defaults_of, load_schema, validate_object
from .errors import RunError


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
    # JSON has no undefined: a null means "not set", as it does for the TF.js runner.
    raw = {k: v for k, v in raw.items() if v is not None}
    schema = load_schema()
    problems = validate_object(schema, raw)
    if problems:
        raise RunError("config file %s: %s" % (path, "; ".join(problems)))
    cfg = defaults_of(schema)
    cfg.update(raw)
    coerce_integers(schema, cfg)
    cfg["runDir"] = os.path.abspath(cfg.get("runDir") or os.path.dirname(os.path.abspath(path)))
    cfg["resume"] = bool(resume_flag or cfg.get("resume"))
    return cfg
