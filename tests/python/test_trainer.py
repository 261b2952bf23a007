"""The low-level API: Trainer events and sinks, Ctrl-C, callback errors, Model files."""

import json
import os
import pickle
import signal
import threading
import time
import traceback

import numpy as np
import pytest

import linlearn

BINARY = {"predictor_type": "binary_classifier", "epochs": 4, "num_models": 3}
# A run on `big` that only cancellation ends soon: about a minute without it.
LONG = {**BINARY, "epochs": 1000, "early_stopping_patience": 1000}


@pytest.fixture(scope="module")
def train(breast_cancer):
    X, y = breast_cancer["train"]
    with linlearn.Dataset(X.astype(np.float32), y) as data:
        yield data


@pytest.fixture(scope="module")
def validation(breast_cancer):
    X, y = breast_cancer["validation"]
    with linlearn.Dataset(X, y) as data:
        yield data


@pytest.fixture(scope="module")
def big():
    """Big enough that an epoch takes tens of milliseconds."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20000, 20), dtype=np.float32)
    y = (X[:, 0] + rng.standard_normal(20000, dtype=np.float32) > 0).astype(np.float32)
    with linlearn.Dataset(X, y) as data:
        yield data


def test_events_as_dicts(train, validation):
    events = []
    with linlearn.Trainer(BINARY, sinks=[events.append]) as trainer:
        model = trainer.fit(train, validation)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_start" and kinds[-1] == "run_end"
    start = events[0]
    assert start["params"]["epochs"] == "4" and start["params"]["loss"] == "logistic"
    assert (start["n_train_rows"], start["n_validation_rows"], start["num_models"]) == (341, 114, 3)
    epochs = [e for e in events if e["event"] == "epoch_end"]
    assert [e["epoch"] for e in epochs] == list(range(len(epochs)))  # 0-based
    first = epochs[0]
    assert set(first["best"]) == {"train", "validation"}
    assert 0 <= first["best"]["validation"]["binary_classification_accuracy"] <= 1
    assert [m["model"] for m in first["models"]] == [0, 1, 2]
    assert "objective_loss" in first["models"][2]["train"]
    end = events[-1]
    assert end["status"] == "completed" and end["best_epoch"] == model.best_epoch
    assert linlearn.epoch_metrics(events)["validation"]["objective_loss"] == [
        e["best"]["validation"]["objective_loss"] for e in epochs]


def test_run_start_has_every_models_settings(train):
    events = []
    with linlearn.Trainer({**BINARY, "learning_rate": 0.05}, sinks=[events.append]) as trainer:
        trainer.fit(train)
    start = events[0]
    models = start["model_params"]
    assert [m["model"] for m in models] == [0, 1, 2]
    assert models[0]["params"]["learning_rate"] == "0.05"
    assert models[0]["params"]["optimizer"] == start["params"]["optimizer"]
    for m in models[1:]:
        assert 0.005 <= float(m["params"]["learning_rate"]) <= 0.5  # drawn within 10x
        assert {"optimizer", "l1", "wd"} <= set(m["params"])


def test_alerts_reach_the_sinks_and_a_stop_rule_ends_the_run_early(train, validation, tmp_path):
    events = []
    path = tmp_path / "events.jsonl"
    rule, stop = "validation:objective_loss < 100", "train:objective_loss < 100 after epoch 1"
    with linlearn.Trainer({**BINARY, "epochs": 8}, sinks=[events.append, f"json:path={path}"],
                          alerts=[rule], stop_when=[stop]) as trainer:
        model = trainer.fit(train, validation)
        report = trainer.get_alerts()
        alerts = [e for e in events if e["event"] == "diagnostic" and e["code"] == "alert"]
        assert [a["epoch"] for a in alerts] == [0, 2]
        assert alerts[0]["message"].startswith(f"alert '{rule}' fired at epoch 0: validation:objective_loss = ")
        assert alerts[1]["message"].startswith(f"stop rule '{stop}' fired at epoch 2: ")
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert [line for line in lines if line["event"] == "diagnostic" and line["code"] == "alert"] == alerts
        end = events[-1]
        assert end["status"] == "early_stopped" and end["message"].startswith(f"stopped by rule '{stop}' at epoch 2")
        assert model.status == "early_stopped"
        assert report["stopped_by"] == stop
        assert [(r["rule"], r["kind"], r["fired"], r["first_epoch"]) for r in report["rules"]] == [
            (rule, "alert", True, 0), (stop, "stop_when", True, 2)]
        # Cleared, the next fit runs every epoch.
        trainer.clear_alerts()
        events.clear()
        assert trainer.fit(train, validation).status == "completed"
        assert not [e for e in events if e["event"] == "diagnostic" and e["code"] == "alert"]
        assert trainer.get_alerts() == {"stopped_by": None, "rules": []}


def test_a_malformed_rule_names_the_column(train):
    with linlearn.Trainer(BINARY) as trainer:
        with pytest.raises(linlearn.InvalidArgumentError, match=r"rule 'validation:objective_loss >> 1': column 28: "
                                                                r"expected a number"):
            trainer.add_alert("validation:objective_loss >> 1")
        with pytest.raises(linlearn.InvalidArgumentError, match="did you mean 'roc_auc_score'"):
            trainer.add_alert("validation:roc_auc_scor > 0.9", stop=True)
        assert trainer.get_alerts()["rules"] == []


def test_plugin_sink_sees_the_same_events(train, tmp_path):
    path = tmp_path / "events.jsonl"
    events = []
    with linlearn.Trainer(BINARY, sinks=[f"json:path={path}", events.append]) as trainer:
        trainer.fit(train)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["event"] for line in lines] == [e["event"] for e in events]


def test_callback_exception_stops_training_and_is_reraised(train):
    seen = []

    def failing_sink(event):
        seen.append(event["event"])
        if event["event"] == "epoch_end" and event["epoch"] == 1:
            raise RuntimeError("sink broke")

    with linlearn.Trainer({**BINARY, "epochs": 50}, sinks=[failing_sink]) as trainer:
        with pytest.raises(RuntimeError, match="sink broke") as info:
            trainer.fit(train)
        assert seen.count("epoch_end") == 2  # nothing was delivered after the failure
        frames = [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
        assert "failing_sink" in frames
        # The trainer is usable again.
        trainer.add_sink(lambda e: None)
        trainer.set("epochs", 1)
        trainer.fit(train)


def interrupt_after(seconds):
    """Sends SIGINT to this process from a timer thread (as Ctrl-C would)."""
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.fixture
def default_sigint():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_cancels_the_fit(big, default_sigint):
    events = []
    with linlearn.Trainer(LONG, sinks=[events.append]) as trainer:
        start = time.monotonic()
        timer = interrupt_after(0.5)
        with pytest.raises(KeyboardInterrupt):
            trainer.fit(big)
        timer.join()
        assert time.monotonic() - start < 10
        assert events[-1]["event"] == "run_end" and events[-1]["status"] == "cancelled"
        # A later fit is not cancelled by the request.
        trainer.set("epochs", 1)
        assert trainer.fit(big).status == "completed"


def test_ctrl_c_before_the_first_epoch(big, default_sigint):
    """Cancelled before any model exists (LL_E_CANCELLED): still KeyboardInterrupt."""
    events = []

    def interrupt_on_start(event):
        events.append(event)
        if event["event"] == "run_start":
            os.kill(os.getpid(), signal.SIGINT)

    with linlearn.Trainer(LONG, sinks=[interrupt_on_start]) as trainer:
        with pytest.raises(KeyboardInterrupt):
            trainer.fit(big)
    # fit returned only once the library was done: run_end was delivered, cancelled.
    assert events[0]["event"] == "run_start"
    assert events[-1]["event"] == "run_end" and events[-1]["status"] == "cancelled"


def test_ctrl_c_that_reaches_another_thread(big, default_sigint):
    """The C-level handler runs on whichever thread the kernel picks among those that do not
    block SIGINT (an OpenMP thread the main thread started, say); Python then raises in the
    main thread only when it next runs bytecode. fit must notice promptly all the same."""
    idle = threading.Event()
    bystander = threading.Thread(target=idle.wait)  # SIGINT not blocked in it
    bystander.start()
    events = []

    def interrupt_on_start(event):
        events.append(event)
        if event["event"] == "run_start":
            signal.pthread_kill(bystander.ident, signal.SIGINT)

    try:
        with linlearn.Trainer(LONG, sinks=[interrupt_on_start]) as trainer:
            start = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                trainer.fit(big)
            assert time.monotonic() - start < 10  # not after the run's 1000 epochs
    finally:
        idle.set()
        bystander.join()
    assert events[-1]["event"] == "run_end" and events[-1]["status"] == "cancelled"


def test_ctrl_c_right_after_the_worker_starts(big, monkeypatch):
    """A KeyboardInterrupt can land anywhere in fit, e.g. just after the worker thread
    started (Python raises it wherever the main thread is). fit must still cancel the run
    and wait for the library before raising: the trainer is freed right after."""
    import linlearn.trainer as trainer_module
    real_start = trainer_module._start_shielded
    workers = []

    def start_then_interrupt(thread):
        real_start(thread)
        workers.append(thread)
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer_module, "_start_shielded", start_then_interrupt)
    events = []
    with linlearn.Trainer(LONG, sinks=[events.append]) as trainer:
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            trainer.fit(big)
        assert time.monotonic() - start < 10  # cancelled, not run for its 1000 epochs
        assert events[-1]["event"] == "run_end" and events[-1]["status"] == "cancelled"
        # Nothing of it is left for the next fit.
        monkeypatch.undo()
        trainer.set("epochs", 1)
        assert trainer.fit(big).status == "completed"


def test_sigint_mask_is_restored(train):
    """fit blocks SIGINT while it starts its worker thread, and only then."""
    with linlearn.Trainer(BINARY) as trainer:
        trainer.fit(train)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def test_cancel_from_another_thread_keeps_the_best_model(big):
    cancellers = []

    def cancel_after_first_epoch(event):
        if event["event"] == "epoch_end":
            cancellers.append(threading.Thread(target=trainer.cancel))
            cancellers[-1].start()

    with linlearn.Trainer(LONG, sinks=[cancel_after_first_epoch]) as trainer:
        model = trainer.fit(big)
        # Before the trainer is freed: a cancel thread still running afterwards would
        # call ll_trainer_cancel on a freed handle (and could hit the next test's trainer).
        for t in cancellers:
            t.join()
    assert model.status == "cancelled" and model.best_epoch >= 0


def test_cancel_without_a_running_fit_does_nothing(train):
    """A request that misses its fit (it came after fit returned) never stops the next."""
    with linlearn.Trainer(BINARY) as trainer:
        trainer.cancel()
        assert trainer.fit(train).status == "completed"
        lib = linlearn._lib.lib
        lib.ll_trainer_cancel(trainer.handle)  # as a late Ctrl-C would, straight to the library
        lib.ll_trainer_clear_cancel(trainer.handle)
        assert trainer.fit(train).status == "completed"
        lib.ll_trainer_cancel(trainer.handle)  # not withdrawn: the library keeps it for the next fit
        with pytest.raises(linlearn.CancelledError, match=r"before the first epoch ended \(a cancel request\)"):
            trainer.fit(train)


def test_model_save_load_and_evaluate(train, validation, tmp_path):
    with linlearn.Trainer(BINARY) as trainer:
        trainer.set_option("model_path", str(tmp_path / "saved.llmodel"))
        model = trainer.fit(train, validation)
    X_val = validation  # a labelled Dataset works everywhere arrays do
    loaded = linlearn.Model.load(tmp_path / "saved.llmodel")
    for kind in ("label", "score", "raw"):
        np.testing.assert_array_equal(loaded.predict(X_val, kind), model.predict(X_val, kind))
    assert (loaded.predictor_type, loaded.num_features, loaded.threshold) == (
        "binary_classifier", 30, model.threshold)
    model.save(tmp_path / "again.llmodel")
    assert linlearn.Model.load(tmp_path / "again.llmodel").best_epoch == model.best_epoch
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict(X_val, "score"), model.predict(X_val, "score"))
    metrics = model.evaluate(X_val)
    assert set(metrics) >= {"objective_loss", "binary_classification_accuracy", "roc_auc_score"}
    labels = model.predict(X_val)
    scores = model.predict(X_val, "score")
    np.testing.assert_array_equal(labels, scores > model.threshold)


def test_multiclass_scores_are_probabilities(digits):
    X, y = digits["validation"]
    with linlearn.Trainer({"predictor_type": "multiclass_classifier", "num_classes": 10,
                           "epochs": 2, "num_models": 2}) as trainer, \
            linlearn.Dataset(X, y) as data:
        model = trainer.fit(data)
    scores = model.predict(X, "score")
    assert scores.shape == (360, 10)
    np.testing.assert_allclose(scores.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(scores.argmax(axis=1), model.predict(X))
    assert model.predict(X, "raw").shape == (360, 10)
