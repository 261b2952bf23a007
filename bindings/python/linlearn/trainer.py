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
    """Starts thread with SIGINT blocked in it, and so in the OpenMP threads it starts: a
    Ctrl-C is never delivered to the library's threads. The calling thread's mask is
    restored before this returns or raises (a Ctrl-C that came meanwhile is raised then)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        thread.start()
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _wait(event):
    """event.wait() in steps: when a Ctrl-C reaches another thread than this one (an OpenMP
    thread this one started, say), Python raises it here only once this thread runs
    bytecode again, which a plain wait() would put off until the fit ends. (Not
    Thread.join(): on 3.11 a Ctrl-C inside join() can mark a running thread stopped.)"""
    while not event.wait(0.05):
        pass


def _was_started(thread):
    """Whether thread.start() got as far as creating the thread, even if a Ctrl-C cut it
    short: a created thread reports itself started at once."""
    return thread.is_alive() or thread._started.wait(5.0)


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

    def _settle(self, worker, done, interrupt):
        """Waits until the fit's worker, if it was started, has finished; an interruption
        (given, or further Ctrl-C meanwhile) cancels the run first. Returns the first one."""
        while worker is not None and not done.is_set() and _was_started(worker):
            try:
                if interrupt is not None:
                    self.cancel()
                _wait(done)
            except BaseException as e:
                interrupt = interrupt or e
        return interrupt

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

        # A Ctrl-C can raise KeyboardInterrupt at any point of this thread (Python runs its
        # handler here whichever thread the signal reached), so everything from here on is
        # in one try: fit never returns or raises while the library still uses the trainer.
        interrupt = worker = None
        try:
            self._fitting = True
            keep = (self, train, validation, test, callback)
            worker = threading.Thread(target=work, args=(keep,), name="linlearn-fit", daemon=True)
            _start_shielded(worker)
            _wait(done)
        except BaseException as e:  # Ctrl-C, or a signal handler's error
            interrupt = e
        finally:
            interrupt = self._settle(worker, done, interrupt)
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
