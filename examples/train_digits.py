"""Train a small Keras model on scikit-learn's handwritten digits, the TensorFlow way.

    python examples/train_digits.py            # train, test, plot, checkpoint, then model.fit
    python examples/train_digits.py --resume   # continue from the last checkpoint

The code below is ordinary TensorFlow 2 code with `import tapeflow as tf`: a `tf.data`
pipeline, a `tf.keras` model with Dropout, Adam, and `@tf.function` train and evaluation
steps in a custom loop. Each step is traced once and compiled (Numba) into one native call;
the first call pays for the compile, which is reported apart from the step time. Then the
same model is trained again in a few lines with `model.fit`.

The digits (1,797 8x8 images) ship with scikit-learn: nothing is downloaded. tqdm draws the
progress bars and matplotlib the curves when they are installed (`pip install
"tapeflow[examples]"`); without them the example prints plain lines and skips the plot.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import tapeflow as tf

HERE = Path(__file__).parent


def load_digits(n_train: int = 1536, seed: int = 0):
    """(x_train, y_train, x_test, y_test): pixels scaled to [0, 1], labels 0-9, a fixed split
    (1536 training images: 24 batches of 64, every batch one shape; 261 test images)."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        sys.exit('this example needs scikit-learn: pip install "tapeflow[examples]"')
    digits = sklearn_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    train, test = order[:n_train], order[n_train:]
    return x[train], y[train], x[test], y[test]


def pipeline(x, y, batch_size: int, shuffle: bool, seed: int = 0):
    """A tf.data pipeline: shuffled every epoch, batches of one size (the remainder is
    dropped, so every training batch has the same shape and the step is traced once)."""
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=shuffle).prefetch(2)


def build_model(dropout: float = 0.2):
    return tf.keras.Sequential([
        tf.keras.Input((64,)),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dropout(dropout),
        tf.keras.layers.Dense(10),
    ])


def progress(total: int, description: str):
    """A tqdm bar when tqdm is installed, else None (the loop prints a line per epoch)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=description, leave=True, file=sys.stdout,
                bar_format="{desc} {bar:20} {n_fmt}/{total_fmt} [{elapsed}]{postfix}")


def plot_curves(history: dict, path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 'no plot: matplotlib is not installed (pip install "tapeflow[examples]")'
    epochs = range(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["loss"], label="train loss")
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.legend()
    right.plot(epochs, history["accuracy"], label="train accuracy")
    right.plot(epochs, history["test_accuracy"], label="test accuracy")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"curves written to {path}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--max-steps", type=int, default=None,
                        help="stop after this many training steps (a quick run)")
    parser.add_argument("--fit-epochs", type=int, default=None,
                        help="epochs of the model.fit version (default: --epochs)")
    parser.add_argument("--checkpoint-dir", type=Path, default=HERE / "checkpoints" / "digits")
    parser.add_argument("--resume", action="store_true",
                        help="restore the model and optimizer from the last checkpoint first")
    parser.add_argument("--plot", type=Path, default=HERE / "train_digits.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tf.random.set_seed(args.seed)
    x_train, y_train, x_test, y_test = load_digits(seed=args.seed)
    train_ds = pipeline(x_train, y_train, args.batch_size, shuffle=True, seed=args.seed)
    test_ds = pipeline(x_test, y_test, len(x_test), shuffle=False)
    steps_per_epoch = len(x_train) // args.batch_size
    print(f"digits: {len(x_train)} training and {len(x_test)} test images of 8x8 pixels, "
          f"{steps_per_epoch} batches of {args.batch_size} per epoch")

    model = build_model()
    optimizer = tf.keras.optimizers.Adam(args.learning_rate)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_loss = tf.keras.metrics.Mean(name="loss")
    train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")

    # compile="sync": the summary below times compiled steps and the compile itself. By
    # default (compile="background") the first steps would run on the interpreter while a
    # worker process compiles, and a short run like this one would time mostly those.
    @tf.function(compile="sync")
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        train_accuracy.update_state(y, logits)
        return loss

    @tf.function(compile="sync")
    def eval_step(x, y):
        test_accuracy.update_state(y, model(x, training=False))

    # The optimizer's slots exist before a restore (or a save) can name them.
    optimizer.build(model.trainable_variables)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(checkpoint, str(args.checkpoint_dir), max_to_keep=2)
    if args.resume:
        if manager.latest_checkpoint is None:
            print(f"--resume: no checkpoint in {args.checkpoint_dir}; starting afresh")
        else:
            checkpoint.restore(manager.latest_checkpoint)
            print(f"resumed from {manager.latest_checkpoint} at step "
                  f"{int(optimizer.iterations.numpy())}")
    if manager.latest_checkpoint is None:
        manager.save()  # the weights to go back to if the first epoch's loss turns nan

    history = {"loss": [], "accuracy": [], "test_accuracy": []}
    first_calls, step_seconds, eval_calls = [], [], []
    step = 0
    stopped = None
    for epoch in range(1, args.epochs + 1):
        for metric in (train_loss, train_accuracy, test_accuracy):
            metric.reset_state()
        bar = progress(steps_per_epoch, f"epoch {epoch:2d}/{args.epochs}")
        for x, y in train_ds:
            start = time.perf_counter()
            loss = train_step(x, y)
            loss_value = float(loss)  # waits for the step, so the time is the step's
            elapsed = time.perf_counter() - start
            step += 1
            if step <= 2:
                # The first call traces (and runs the traced Python), the second compiles the
                # graph or loads it from the cache: their time beyond a step's is compiling.
                first_calls.append(elapsed)
            else:
                step_seconds.append(elapsed)
            if not math.isfinite(loss_value):
                stopped = f"the loss is {loss_value} at epoch {epoch}, step {step}"
                break
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{float(train_loss.result()):.4f}",
                                accuracy=f"{float(train_accuracy.result()):.4f}")
            if args.max_steps is not None and step >= args.max_steps:
                break
        for x, y in test_ds:
            start = time.perf_counter()
            eval_step(x, y)
            eval_calls.append(time.perf_counter() - start)
        history["loss"].append(float(train_loss.result()))
        history["accuracy"].append(float(train_accuracy.result()))
        history["test_accuracy"].append(float(test_accuracy.result()))
        if bar is not None:
            bar.set_postfix(loss=f"{history['loss'][-1]:.4f}",
                            accuracy=f"{history['accuracy'][-1]:.4f}",
                            test=f"{history['test_accuracy'][-1]:.4f}")
            bar.close()
        else:
            print(f"epoch {epoch:2d}/{args.epochs}: loss {history['loss'][-1]:.4f}, accuracy "
                  f"{history['accuracy'][-1]:.4f}, test accuracy "
                  f"{history['test_accuracy'][-1]:.4f}")
        if stopped:
            # Back to the last good weights: those saved at the end of the previous epoch.
            checkpoint.restore(manager.latest_checkpoint)
            print(f"training stopped: {stopped}; the weights and the optimizer are back at "
                  f"{manager.latest_checkpoint}")
            break
        manager.save()
        if args.max_steps is not None and step >= args.max_steps:
            break

    accuracy = history["test_accuracy"][-1]
    print(f"checkpoint written to {manager.latest_checkpoint} (continue with --resume)")
    print(plot_curves(history, args.plot))

    # The same step, eagerly: every op dispatched from Python, for the comparison.
    eager_seconds = []
    for i, (x, y) in enumerate(train_ds):
        if i == 20:
            break
        start = time.perf_counter()
        train_step.python_function(x, y)
        eager_seconds.append(time.perf_counter() - start)

    # The same model in a few lines with model.fit.
    fit_model = build_model()
    fit_model.compile(optimizer=tf.keras.optimizers.Adam(args.learning_rate),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    fit_epochs = args.fit_epochs if args.fit_epochs is not None else args.epochs
    start = time.perf_counter()
    fit_model.fit(x_train, y_train, epochs=fit_epochs, batch_size=args.batch_size,
                  validation_data=(x_test, y_test), validation_batch_size=len(x_test),
                  verbose=2)
    fit_seconds = time.perf_counter() - start
    _, fit_accuracy = fit_model.evaluate(x_test, y_test, batch_size=len(x_test), verbose=0)

    step_time = statistics.median(step_seconds) if step_seconds else float("nan")
    compiled_rate = 1.0 / step_time
    eager_rate = 1.0 / statistics.median(eager_seconds)
    eval_time = statistics.median(eval_calls[2:]) if len(eval_calls) > 2 else 0.0
    compile_seconds = sum(first_calls) - len(first_calls) * (step_time if step_seconds else 0)
    compile_seconds += sum(eval_calls[:2]) - min(len(eval_calls), 2) * eval_time
    print()
    print("summary")
    print(f"  compiled train step: {compiled_rate:,.0f} steps/s (median of {len(step_seconds)}); "
          f"eager: {eager_rate:,.0f} steps/s; {compiled_rate / eager_rate:.1f}x")
    print(f"  compile time (tracing and compiling: the first two calls of the train and eval "
          f"steps, less their step time): {compile_seconds:.2f} s; then "
          f"{step_time * 1e6:.0f} us per train step")
    print(f"  traces: train_step {train_step.experimental_get_tracing_count()}, eval_step "
          f"{eval_step.experimental_get_tracing_count()} (one per signature)")
    print(f"  test accuracy: custom loop {accuracy:.4f}, model.fit {fit_accuracy:.4f} "
          f"({fit_epochs} epochs in {fit_seconds:.1f} s)")
    return 0 if not stopped else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
