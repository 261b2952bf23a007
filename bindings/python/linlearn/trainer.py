"""Trainer: the low-level training API over ll_trainer*."""

import ctypes
import json
import numbers
import os
import signal
import threading

import numpy as np

from ._data import Dataset
from ._events import event_to_dict
from ._lib import ALERT_STOP, EVENT_CALLBACK, lib, read_text
from .model import Model


def _hyperparameter_text(value):
    """A Python value as the text the library parses (True -> "true", 1e-5 -> "1e-05")."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)


def _start_shielded(thread):
    """Starts thread with SIGINT blocked, so that Thread.start() cannot be interrupted
    half-way and the thread (with the OpenMP threads it starts) inherits the blocked
    mask: Ctrl-C always reaches the waiting thread. Returns a function that restores the
    mask of the calling thread; a Ctrl-C that came meanwhile is raised when it runs."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        thread.start()
        return lambda: None
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        thread.start()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        raise
    return lambda: signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class Trainer:
    """Trains linear models with hyperparameters given by SageMaker's names.

    Parameters
    ----------
    params : dict, optional
        Hyperparameters, e.g. ``{"predictor_type": "binary_classifier", "epochs": 10}``.
        Values may be text, numbers or booleans; the library checks them at once.
    sinks : iterable, optional
        Each one a callable, which receives every event as a dict (see
        :mod:`linlearn._events`), or a sink spec for ``ll_trainer_add_sink`` such as
        ``"json:path=/tmp/events.jsonl"`` or ``"stdout:format=sagemaker"``.
    alerts, stop_when : iterable of str, optional
        Rules on the best model's metrics, checked after every epoch (see
        :meth:`add_alert`), e.g. ``"validation:objective_loss > 0.7 after epoch 3"``.

    A callable that raises stops training; :meth:`fit` then re-raises its exception.
    Ctrl-C during :meth:`fit` cancels the run and raises KeyboardInterrupt.
    """

    def __init__(self, params=None, sinks=(), alerts=(), stop_when=()):
        handle = ctypes.c_void_p()
        lib.ll_trainer_create(ctypes.byref(handle))
        self._handle = handle
        self._callables = []
        self._error = None
        # Guards _fitting: a cancel lands on a running fit or not at all (see cancel).
        # Reentrant: a signal handler calling cancel() runs on the main thread, which may
        # hold the lock at that moment.
        self._cancel_lock = threading.RLock()
        self._fitting = False
        for key, value in (params or {}).items():
            self.set(key, value)
        for sink in sinks:
            self.add_sink(sink)
        for rule in alerts:
            self.add_alert(rule)
        for rule in stop_when:
            self.add_alert(rule, stop=True)

    @property
    def handle(self):
        """The ll_trainer* (as ctypes.c_void_p); ValueError once closed."""
        if self._handle is None:
            raise ValueError("the trainer is closed")
        return self._handle

    def set(self, key, value):
        """Sets one hyperparameter; InvalidArgumentError names the allowed values."""
        lib.ll_trainer_set(self.handle, key.encode(), _hyperparameter_text(value).encode())

    def get(self, key):
        """A hyperparameter's value as set, as text ("auto" stays "auto")."""
        return read_text(lib.ll_trainer_get, self.handle, key.encode())

    def set_option(self, key, value):
        """Sets a run option: "run_id", or "model_path" (save the model there)."""
        lib.ll_trainer_set_option(self.handle, key.encode(), os.fsencode(value))

    def add_sink(self, sink):
        """Adds a callable (gets each event as a dict) or a plugin sink spec (str)."""
        if callable(sink):
            self._callables.append(sink)
        elif isinstance(sink, str):
            lib.ll_trainer_add_sink(self.handle, sink.encode())
        else:
            raise TypeError(f"a sink is a callable or a spec string, not {type(sink).__name__}")

    def add_alert(self, rule, stop=False):
        """Adds a rule ``"<phase>:<metric> <op> <number> [after epoch N]"`` (phase train or
        validation, op one of > >= < <= == !=) on the best model so far, checked after every
        epoch of later fits. The first epoch it holds on, every sink and callable gets a
        ``diagnostic`` event with code ``"alert"``; with ``stop=True`` the run then ends:
        status ``"early_stopped"``, the rule in the message, the best checkpoint as the model.
        A malformed rule raises InvalidArgumentError naming the column."""
        lib.ll_trainer_add_alert(self.handle, rule.encode(), ALERT_STOP if stop else 0)

    def clear_alerts(self):
        """Removes every rule."""
        lib.ll_trainer_clear_alerts(self.handle)

    def get_alerts(self):
        """The rules and what they did in the last fit: ``{"stopped_by": rule or None,
        "rules": [{"rule", "kind", "fired", "first_epoch", "value", "epochs_held",
        "note", ...}]}``."""
        return json.loads(read_text(lib.ll_trainer_get_alerts, self.handle))

    def cancel(self):
        """Asks a running fit to stop at the next mini-batch; callable from any thread.
        Without a running fit it does nothing: it never stops a later fit."""
        with self._cancel_lock:
            if self._fitting:
                lib.ll_trainer_cancel(self.handle)

    def _end_fitting(self):
        # Withdraws a request that came too late for the fit that just returned; under the
        # lock, so that none can come after it.
        with self._cancel_lock:
            self._fitting = False
            lib.ll_trainer_clear_cancel(self.handle)

    def _deliver(self, event, _user_data):
        if self._error is not None:
            return 1
        try:
            as_dict = event_to_dict(event.contents)
            for callback in self._callables:
                callback(as_dict)
            return 0
        except BaseException as e:  # re-raised by fit
            self._error = e
            return 1

    def fit(self, train, validation=None, test=None):
        """Trains on train, evaluating each epoch on train and validation, and the final
        model on test. All three are labelled :class:`Dataset` objects (validation and
        test may be None). Returns a :class:`Model`.

        The library runs on a worker thread while this thread waits, so that Ctrl-C can
        cancel the run: fit then waits for the library to stop and raises
        KeyboardInterrupt. A run stopped after its first epoch by :meth:`cancel` from
        another thread returns the best model so far (``model.status == "cancelled"``).
        """
        for name, data in (("train", train), ("validation", validation), ("test", test)):
            if (data is not None or name == "train") and not isinstance(data, Dataset):
                raise TypeError(f"{name} must be a linlearn.Dataset, not {type(data).__name__}")
        handles = [None if d is None else d.handle for d in (train, validation, test)]
        callback = EVENT_CALLBACK(self._deliver)
        lib.ll_trainer_set_callback(self.handle, callback, None)
        self._error = None
        result = {}
        done = threading.Event()

        def work(_keep):
            # _keep holds the trainer, the datasets and the callback: none of them can be
            # freed while the library uses them, whatever happens to the caller.
            out = ctypes.c_void_p()
            try:
                lib.ll_trainer_fit(self.handle, *handles, ctypes.byref(out))
                result["model"] = out
            except BaseException as e:  # an errcheck error: raised below, on this thread
                result["error"] = e
            finally:
                done.set()

        self._fitting = True
        keep = (self, train, validation, test, callback)
        worker = threading.Thread(target=work, args=(keep,), name="linlearn-fit", daemon=True)
        try:
            restore_mask = _start_shielded(worker)
        except BaseException:
            self._end_fitting()
            raise
        # Not Thread.join(): on Python 3.11 a KeyboardInterrupt inside join() can mark a
        # thread that still runs as stopped.
        interrupt = None
        try:
            while True:
                try:
                    restore_mask()
                    done.wait()
                    break
                except BaseException as e:  # Ctrl-C, or a signal handler's error
                    interrupt = interrupt or e
                    try:
                        if not done.is_set():
                            self.cancel()
                    except BaseException as again:  # a second Ctrl-C while cancelling
                        interrupt = interrupt or again
        finally:
            self._end_fitting()
            lib.ll_trainer_set_callback(self.handle, EVENT_CALLBACK(), None)  # NULL: removed
        model = Model(result["model"]) if "model" in result else None
        error, self._error = interrupt or self._error or result.get("error"), None
        if error is not None:
            if model is not None:
                model.close()
            raise error
        return model

    def close(self):
        """Frees the library's trainer (and its sinks, which flush and close)."""
        if getattr(self, "_handle", None) is not None:
            lib.ll_trainer_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()
