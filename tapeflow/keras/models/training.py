"""A thin `compile` / `fit` / `evaluate` / `predict`: the train step is one
`@tapeflow.function` (forward, gradients, optimizer update and metric updates together), so a
fresh batch of the same shape runs the compiled step without tracing again."""

from __future__ import annotations

import math
import sys
import time
import warnings

import numpy as np

from tapeflow import nest
from tapeflow.keras import losses as _losses
from tapeflow.keras import metrics as _metrics
from tapeflow.keras import optimizers as _optimizers
from tapeflow.tracer.tape import GradientTape


class NonFiniteLossWarning(UserWarning):
    """fit() stopped because a step's loss was nan or inf."""


class History:
    """What `fit` returns: `history[name]` is the list of that value per epoch."""

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict = {}

    def _record(self, epoch: int, logs: dict) -> None:
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self) -> str:
        # Keras 3's text for it (its class's default repr), which a notebook shows after
        # `model.fit(...)`; `history.history` holds the values. The class's __module__ stays
        # tapeflow's, so pickling and introspection see where it really lives.
        return f"<keras.src.callbacks.history.History object at {id(self):#x}>"


def _function(fn, name):
    from tapeflow.runtime.function import Function

    return Function(fn, name=name)


def _unpack(data):
    """(x, y, sample_weight) from a batch: a tuple of 1, 2 or 3 parts, or x alone."""
    if isinstance(data, tuple | list) and not isinstance(data, np.ndarray):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return tuple(data)
        raise ValueError(f"a batch must be x, (x,), (x, y) or (x, y, sample_weight); got a "
                         f"{type(data).__name__} of {len(data)} parts")
    return data, None, None


def _num_examples(x) -> int:
    sizes = {int(np.shape(leaf)[0]) for leaf in nest.flatten(x)}
    if len(sizes) != 1:
        raise ValueError(f"the input arrays have different numbers of examples: {sorted(sizes)}")
    return sizes.pop()


def _take(structure, index):
    return nest.map_structure(
        lambda a: np.asarray(a._concrete() if hasattr(a, "_concrete") else a)[index], structure)


class _Batches:
    """Batches of arrays (optionally shuffled each epoch), or the elements of a dataset."""

    def __init__(self, x, y, sample_weight, batch_size, shuffle, who: str):
        self.dataset = None
        if y is None and sample_weight is None and not _is_array_like(x):
            self.dataset = x  # a tf.data.Dataset or any iterable of batches
            if batch_size is not None:
                raise ValueError(f"{who}: do not give batch_size with a dataset (it is batched "
                                 "already)")
            return
        self.data = (x,) if y is None else (x, y) if sample_weight is None else \
            (x, y, sample_weight)
        self.n = _num_examples(self.data)
        self.batch_size = int(batch_size or 32)
        if self.batch_size <= 0:
            raise ValueError(f"{who}: batch_size must be positive, got {batch_size}")
        self.shuffle = shuffle
        self._rng = _shuffler() if shuffle else None

    def __len__(self):
        if self.dataset is not None:
            try:
                return len(self.dataset)
            except TypeError:
                return 0
        return math.ceil(self.n / self.batch_size)

    def __iter__(self):
        if self.dataset is not None:
            yield from self.dataset
            return
        order = self._rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        for start in range(0, self.n, self.batch_size):
            batch = _take(self.data, order[start:start + self.batch_size])
            yield batch if len(batch) > 1 else batch[0]


def _is_array_like(x) -> bool:
    leaves = nest.flatten(x)
    return bool(leaves) and all(isinstance(a, np.ndarray | list) or hasattr(a, "aval")
                                for a in leaves)


def _shuffler() -> np.random.Generator:
    """A numpy generator seeded by a draw of tf.random, so tf.random.set_seed makes the
    shuffles reproducible."""
    import tapeflow

    seed = tapeflow.random.uniform((2,), maxval=2**31 - 1, dtype=np.int64)
    return np.random.default_rng(np.asarray(seed._concrete() if hasattr(seed, "_concrete")
                                            else seed))


class ProgressBar:
    """Keras 3's progress line (what TensorFlow 2.16+'s tf.keras prints).

    verbose=1: `2/2 ━━━━━━━━━━━━━━━━━━━━ 1s 14ms/step - loss: 0.0013`, the count in bold and
    the bar in green (done) and white (to do), with the ETA while running and the elapsed
    seconds at the end, then the time per step (from the steps after the first, as Keras
    estimates it) and the values. Each redraw (at most every 0.05 s before the last step,
    and the final one)
    erases the previous line with backspaces and a carriage return, as Keras 3 does on
    POSIX systems, padding with spaces where the new line is shorter.
    verbose=2: one line per epoch, `1/1 - 0s - 301ms/step - loss: 4.1174`."""

    WIDTH = 20
    INTERVAL = 0.05

    def __init__(self, target: int, verbose: int, stream=None):
        self.target, self.verbose = target, verbose
        self.stream = stream or sys.stdout
        self.start = time.time()
        self.last_draw = 0.0
        self.drawn_width = 0  # the previous line's width in characters (no ANSI codes)
        self.first_step_end: float | None = None

    def wants_update(self, step: int | None = None) -> bool:
        """Whether a redraw is due (verbose 1, 0.05 s since the last one); called after each
        step, it also notes when the first one ended."""
        now = time.time()
        if step == 1 and self.first_step_end is None:
            self.first_step_end = now
        return self.verbose == 1 and now - self.last_draw >= self.INTERVAL

    def _per_step(self, step: int, now: float) -> float:
        if self.first_step_end is not None and step > 1:
            return (now - self.first_step_end) / (step - 1)
        return (now - self.start) / max(step, 1)

    @staticmethod
    def _time_text(seconds: float) -> str:
        if seconds >= 1:
            return f"{seconds:.0f}s/step"
        if seconds >= 1e-3:
            return f"{seconds * 1e3:.0f}ms/step"
        return f"{seconds * 1e6:.0f}us/step"

    @staticmethod
    def _eta_text(eta: float) -> str:
        eta = int(eta)
        if eta > 3600:
            return f"{eta // 3600}:{(eta % 3600) // 60:02d}:{eta % 60:02d}"
        if eta > 60:
            return f"{eta // 60}:{eta % 60:02d}"
        return f"{eta}s"

    @staticmethod
    def _values_text(logs: dict) -> str:
        return "".join(f" - {k}: {v:.4f}" if abs(v) > 1e-3 else f" - {k}: {v:.4e}"
                       for k, v in logs.items())

    def update(self, step: int, logs: dict, final: bool = False) -> None:
        if self.verbose == 0 or (self.verbose == 2 and not final):
            return
        if not final and self.target and step >= self.target:
            return  # the last step is drawn once, by the final update (as Keras 3)
        now = time.time()
        per_step = self._time_text(self._per_step(step, now))
        target = self.target or step
        count = f"{step:>{len(str(target))}}/{target}"
        if self.verbose == 2:
            line = f"{count} - {now - self.start:.0f}s - {per_step}{self._values_text(logs)}\n"
            self.stream.write(line)
            self.stream.flush()
            return
        self.last_draw = now
        done = int(self.WIDTH * step / max(target, 1))
        bar = f"\x1b[1m{count}\x1b[0m "
        if done > 0:
            bar += f"\x1b[32m{'━' * done}\x1b[0m\x1b[37m{'━' * (self.WIDTH - done)}\x1b[0m"
        else:
            bar += f"\x1b[37m{'━' * self.WIDTH}\x1b[0m"
        when = f"{int(now - self.start)}s" if step >= target else \
            self._eta_text(self._per_step(step, now) * (target - step))
        info = f" {when} {per_step}{self._values_text(logs)}"
        width = len(count) + 1 + self.WIDTH + len(info)
        pad = " " * max(self.drawn_width - width, 0)
        info = f" \x1b[1m{when}\x1b[0m {per_step}{self._values_text(logs)}{pad}"
        erase = "\b" * self.drawn_width + "\r"
        self.drawn_width = width
        self.stream.write(erase + bar + info + ("\n" if final else ""))
        self.stream.flush()


class TrainingMixin:
    """compile/fit/evaluate/predict for Model."""

    def _reset_compile(self):
        self.optimizer = None
        self.loss = None
        self.compiled_metrics: list = []
        self._loss_tracker = None
        self._train_function = self._test_function = self._predict_function = None
        self.run_eagerly = False
        self.stop_training = False
        self.history = None

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, run_eagerly=False,
                jit_compile=None, **kwargs):
        """Choose the optimizer, the loss and the metrics (names or objects)."""
        if kwargs:
            raise TypeError(f"compile: unsupported argument(s) {', '.join(sorted(kwargs))}")
        self.optimizer = _optimizers.get(optimizer)
        self.loss = None if loss is None else _losses.get(loss)
        if self.loss is not None and not isinstance(self.loss, _losses.Loss):
            # A function (by name or given) is wrapped as Keras does, so that sample weights
            # and the 'sum_over_batch_size' reduction apply to it as to a Loss.
            self.loss = _losses.LossFunctionWrapper(self.loss)
        self._loss_tracker = _metrics.Mean(name="loss")
        self.compiled_metrics = [_metrics.get(m, self.loss) for m in metrics or []]
        for given, metric in zip(metrics or [], self.compiled_metrics):
            if isinstance(given, str):
                # Keras 3 names a metric given by name after that name ('mae' logs 'mae').
                metric.name = given
        self.run_eagerly = bool(run_eagerly)
        self._train_function = self._test_function = self._predict_function = None

    @property
    def metrics(self) -> list:
        return ([self._loss_tracker] if self._loss_tracker is not None else []) + \
            list(self.compiled_metrics)

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def _require_compiled(self, who: str) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError(f"{who}: call model.compile(optimizer=..., loss=...) first")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        if isinstance(self.loss, _losses.Loss):
            return self.loss(y, y_pred, sample_weight)
        from tapeflow import ops

        return ops.reduce_mean(self.loss(y, y_pred))

    # ---- the steps (each traced once per batch signature) -------------------------------------

    def train_step(self, data):
        """Forward, loss, gradients, optimizer update and metric updates for one batch;
        returns the batch loss and the metrics' results."""
        x, y, sample_weight = _unpack(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        variables = list(self.trainable_variables)
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        return loss, self._update_metrics(loss, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        return loss, self._update_metrics(loss, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = _unpack(data)
        return self(x, training=False)

    def _update_metrics(self, loss, y, y_pred, sample_weight) -> dict:
        self._loss_tracker.update_state(loss)
        for m in self.compiled_metrics:
            m.update_state(y, y_pred, sample_weight)
        return {m.name: m.result() for m in self.metrics}

    def _step(self, kind: str):
        """The compiled `<kind>_step`, called as f(x, y[, sample_weight]): flat positional
        arguments take tapeflow.function's fastest call path."""
        attr = f"_{kind}_function"
        if getattr(self, attr) is None:
            step = getattr(self, f"{kind}_step")

            def flat(*parts):
                return step(parts if len(parts) > 1 else parts[0])

            flat.__name__ = f"{kind}_step"
            setattr(self, attr, flat if self.run_eagerly else _function(flat, f"{kind}_step"))
        return getattr(self, attr)

    @staticmethod
    def _parts(batch) -> tuple:
        if isinstance(batch, tuple | list):
            return tuple(batch)
        return (batch,)

    # ---- the loops ----------------------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_data=None, shuffle=True, initial_epoch=0, sample_weight=None,
            validation_batch_size=None):
        """Train for `epochs` over `x`, `y` (arrays) or a dataset of (x, y) batches. A step
        whose loss is nan or inf stops training, names the step and restores the weights of
        the last step with finite values."""
        self._require_compiled("fit")
        if callbacks:
            raise ValueError("fit: callbacks are not supported")
        verbose = 1 if verbose == "auto" else int(verbose)
        batches = _Batches(x, y, sample_weight, batch_size, shuffle, "fit")
        train = self._step("train")
        history = History()
        history.params = {"epochs": epochs, "steps": len(batches) or None, "verbose": verbose}
        self.history = history
        self.stop_training = False
        step_number = 0
        tracked = None  # the variables a step changes (known once the optimizer is built)
        for epoch in range(initial_epoch, epochs):
            if verbose and epochs > 1:  # Keras 3 prints no "Epoch 1/1"
                print(f"Epoch {epoch + 1}/{epochs}")
            for m in self.metrics:
                m.reset_state()
            bar = ProgressBar(len(batches), verbose)
            results: dict = {}
            state = previous = self._state(tracked)
            index = 0
            for index, batch in enumerate(batches, start=1):
                step_number += 1
                loss, results = train(*self._parts(batch))
                batch_loss = float(loss)
                if not math.isfinite(batch_loss):
                    self._stop_on_nonfinite(batch_loss, epoch, index, step_number, state,
                                            previous)
                    break
                if tracked is None:
                    tracked = self._tracked_variables()
                previous, state = state, self._state(tracked)
                if bar.wants_update(index):
                    bar.update(index, _floats(results))
            if self.stop_training:
                break
            logs = _floats(results)
            if validation_data is not None:
                val = self.evaluate(*_validation_parts(validation_data),
                                    batch_size=validation_batch_size or batch_size, verbose=0,
                                    return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
            bar.update(len(batches) or index, logs, final=True)
            history._record(epoch, logs)
        return history

    def _tracked_variables(self) -> list:
        variables = list(self.variables) + list(self.optimizer.variables)
        return variables + [v for m in self.metrics for v in m.variables]

    def _state(self, variables=None) -> list:
        """The current values of every variable a step changes (held, not copied: a step
        replaces a Variable's value, it never writes into it)."""
        if variables is None:
            variables = self._tracked_variables()
        return [(v, v._value) for v in variables]

    def _stop_on_nonfinite(self, loss, epoch, index, step, before, before_previous) -> None:
        # The weights this step started from are kept when they are all finite; otherwise
        # (the previous update already broke them) those of the step before.
        good = before if all(np.all(np.isfinite(t._concrete())) for v, t in before
                             if t._concrete().dtype.kind == "f") else before_previous
        for variable, value_before in good:
            variable._value = value_before
        which = "this step" if good is before else "the previous step"
        message = (f"fit: the loss is {loss} at epoch {epoch + 1}, batch {index} (step {step}); "
                   f"training stopped and the weights are those from before {which}")
        warnings.warn(message, NonFiniteLossWarning, stacklevel=3)
        print(message)
        self.stop_training = True
        if self.history is not None:
            self.history.params["stopped_at_step"] = step

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 return_dict=False):
        """The loss and metrics over `x`, `y` (or a dataset), computed by one compiled step."""
        self._require_compiled("evaluate")
        verbose = 1 if verbose == "auto" else int(verbose)
        batches = _Batches(x, y, sample_weight, batch_size, False, "evaluate")
        test = self._step("test")
        for m in self.metrics:
            m.reset_state()
        bar = ProgressBar(len(batches), verbose)
        results, index = {}, 0
        for index, batch in enumerate(batches, start=1):
            _, results = test(*self._parts(batch))
        logs = {k: float(results[k].numpy()) for k in sorted(results)}
        bar.update(index, logs, final=True)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0):
        """The model's outputs for `x` (arrays or a dataset), batch by batch, as numpy."""
        batches = _Batches(x, None, None, batch_size, False, "predict")
        predict = self._step("predict")
        outputs = []
        for batch in batches:
            out = predict(*(self._parts(batch) if batches.dataset is not None else (batch,)))
            outputs.append(nest.map_structure(lambda t: np.asarray(t.numpy()), out))
        if not outputs:
            raise ValueError("predict: no data")
        if isinstance(outputs[0], np.ndarray):
            return np.concatenate(outputs)
        columns = zip(*(nest.flatten(o) for o in outputs))
        return nest.pack_sequence_as(outputs[0], [np.concatenate(c) for c in columns])


def _floats(results: dict) -> dict[str, float]:
    """The logs as floats, by name in sorted order (as Keras 3's pythonify_logs, so
    history.history lists 'accuracy' before 'loss')."""
    return {k: float(results[k]) for k in sorted(results)}


def _validation_parts(validation_data):
    if isinstance(validation_data, tuple | list):
        if len(validation_data) not in (2, 3):
            raise ValueError("fit: validation_data must be (x, y), (x, y, sample_weight) or a "
                             "dataset")
        return tuple(validation_data)
    return (validation_data,)
