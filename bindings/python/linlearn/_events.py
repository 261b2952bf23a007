"""Events as Python dicts, in the shape of the json sink's lines (docs/plugins.md).

Every event has ``event`` (its kind: "run_start", "epoch_end", "early_stop",
"model_selected", "diagnostic", "run_end"), ``run_id``, ``timestamp_ms`` and
``elapsed_s``; the other keys depend on the kind:

* run_start: predictor_type, library_version, params (every hyperparameter as text,
  "auto" resolved), n_features, n_train_rows, n_validation_rows, n_test_rows,
  num_models, num_classes, and model_params (``[{"model": i, "params": {...}}, ...]``,
  each model's own optimizer, learning_rate, l1, wd, ... as text; absent with a
  library older than sink ABI 1.1);
* epoch_end: epoch (0-based), learning_rate, throughput, ``best`` (the best model so
  far: ``{"train": {metric: value}, "validation": {...}}``) and ``models`` (one
  ``{"model": i, "train": {...}, "validation": {...}}`` per model);
* early_stop: epoch, model, message;
* model_selected: epoch, model, metrics (``{phase: {metric: value}}``);
* diagnostic: epoch, code, message (code "alert" when an alert or stop rule fired,
  "alert_never_applies" for a rule the run cannot apply);
* run_end: status ("completed", "early_stopped", "cancelled", "failed"), message,
  best_epoch, model, model_path, total_time_s, sink_time_s, metrics.

Metric names are SageMaker's without the phase ("objective_loss", "rmse", ...);
undefined values are NaN. A kind this version does not know gives
``{"event": "unknown", "kind": N, ...}``.
"""

import ctypes

from ._lib import Event, MetricSet, ModelParams

KINDS = {1: "run_start", 2: "epoch_end", 3: "early_stop", 4: "model_selected",
         5: "diagnostic", 6: "run_end"}
STATUSES = {0: "running", 1: "completed", 2: "early_stopped", 3: "cancelled", 4: "failed"}
PHASES = {0: "train", 1: "validation", 2: "test"}
MODEL_BEST = -1


def _text(raw):
    return None if raw is None else raw.decode("utf-8", "replace")


def _fields(ev, names):
    """The named fields that the library's struct holds (older libraries have fewer)."""
    out = {}
    for name in names:
        field = getattr(Event, name)
        if ev.struct_size >= field.offset + field.size:
            value = getattr(ev, name)
            out[name] = _text(value) if isinstance(value, bytes) or value is None else value
    return out


def _metric_sets(ev):
    """(model, phase name, {metric: value}) for each metric set of ev."""
    if not ev.metric_sets:
        return
    base = ctypes.addressof(ev.metric_sets.contents)
    stride = ev.metric_sets.contents.struct_size  # the library's sizeof(ll_metric_set)
    for i in range(ev.n_metric_sets):
        s = MetricSet.from_address(base + i * stride)
        metrics = {s.metrics[k].name.decode(): s.metrics[k].value for k in range(s.count)}
        yield s.model, PHASES.get(s.phase, "unknown_phase"), metrics


def _model_params(ev):
    """run_start's per-model settings, or None when the library does not send them."""
    field = Event.model_params
    if ev.struct_size < field.offset + field.size or not ev.model_params:
        return None
    base = ctypes.addressof(ev.model_params.contents)
    stride = ev.model_params.contents.struct_size  # the library's sizeof(ll_model_params)
    out = []
    for i in range(ev.n_model_params):
        m = ModelParams.from_address(base + i * stride)
        params = {_text(m.params[k].key): _text(m.params[k].value) for k in range(m.n_params if m.params else 0)}
        out.append({"model": m.model, "params": params})
    return out


def _phases(ev, model=None):
    """{phase: metrics} of one model's sets, or of all sets when model is None."""
    return {phase: metrics for m, phase, metrics in _metric_sets(ev) if model is None or m == model}


def event_to_dict(ev):
    """Copies an ll_event (valid only during the callback) into a plain dict."""
    kind = KINDS.get(ev.kind)
    out = {"event": kind or "unknown"}
    if kind is None:
        out["kind"] = ev.kind
    out.update(_fields(ev, ("run_id", "timestamp_ms", "elapsed_s")))
    if kind == "run_start":
        out.update(_fields(ev, ("predictor_type", "library_version")))
        out["params"] = {_text(ev.params[i].key): _text(ev.params[i].value)
                         for i in range(ev.n_params if ev.params else 0)}
        out.update(_fields(ev, ("n_features", "n_train_rows", "n_validation_rows", "n_test_rows",
                                "num_models", "num_classes")))
        model_params = _model_params(ev)
        if model_params is not None:
            out["model_params"] = model_params
    elif kind == "epoch_end":
        out.update(_fields(ev, ("epoch", "learning_rate", "throughput")))
        out["best"] = _phases(ev, MODEL_BEST)
        models = {}
        for model, phase, metrics in _metric_sets(ev):
            if model >= 0:
                models.setdefault(model, {"model": model})[phase] = metrics
        out["models"] = list(models.values())
    elif kind in ("early_stop", "model_selected"):
        out.update(_fields(ev, ("epoch", "model")))
        if kind == "early_stop":
            out.update(_fields(ev, ("message",)))
        else:
            out["metrics"] = _phases(ev)
    elif kind == "diagnostic":
        out.update(_fields(ev, ("epoch", "message")))
        out["code"] = _fields(ev, ("diagnostic_code",)).get("diagnostic_code")
    elif kind == "run_end":
        out["status"] = STATUSES.get(ev.status, "unknown")
        out.update(_fields(ev, ("message", "best_epoch", "model", "model_path", "total_time_s",
                                "sink_time_s")))
        out["metrics"] = _phases(ev)
    return out


def epoch_metrics(history):
    """Per-epoch metrics of the best model so far, from a list of event dicts.

    Returns ``{phase: {metric: [value per epoch]}}`` (the shape of XGBoost's
    ``evals_result()``), for example ``result["validation"]["objective_loss"]``.
    """
    table = {}
    for event in history:
        if event["event"] == "epoch_end":
            for phase, metrics in event["best"].items():
                for name, value in metrics.items():
                    table.setdefault(phase, {}).setdefault(name, []).append(value)
    return table
