"""Lesson 04: batch, stochastic and mini-batch gradient descent.

The three variants differ only in how many training examples each update looks at:
all of them (batch or "full-batch" gradient descent), one (stochastic gradient descent,
SGD with batch size 1) or a few (mini-batch). This module holds the lesson's experiments:

- `compare_variants`: the same softmax-regression model trained on the same Fashion-MNIST
  subset with the three batch sizes, the full training loss recorded against epochs,
  updates and measured seconds (`plot_variants` draws the three panels);
- `gradient_quality`: at one fixed parameter point, how well a mini-batch gradient
  points along the full gradient (cosine similarity) and how far it strays from it
  (variance), as the batch size grows (`plot_gradient_quality`);
- `trace_2d` / `explore_trajectories`: the paths of the three variants on the contour
  plot of a 2-parameter linear regression, with sliders;
- `time_per_epoch`: seconds per epoch against batch size on the learner's machine.

Training goes through `course_utils.training.fit`; only the gradient statistics and the
2-D toy problem compute gradients directly.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.figure import Figure
from torch import nn

from .config import cpu_threads, seed_everything
from .data import Split
from .exercises import Exercise, function_exercise, multiple_choice, numeric
from .models import mlp
from .plots import new_figure
from .training import History, evaluate, fit
from .validation import check_int, check_positive
from .widgets import fixed, int_slider, log_slider, slider_panel, slider_text

DIVERGENCE_FACTOR = 10.0  # a run whose full training loss exceeds 10x its start has diverged
VARIANT_COLOURS = {"full batch": "#D55E00", "mini-batch": "#009E73", "stochastic": "#0072B2"}


# --------------------------------------------------------------------------------------
# Experiment 1: the three variants on Fashion-MNIST
# --------------------------------------------------------------------------------------

@dataclass
class VariantRun:
    """One training run of `train_variant`.

    ``curve`` has one row per evaluation point: ``updates`` (parameter updates so far),
    ``epoch`` (passes over the data so far, fractional), ``seconds`` (measured training
    time so far, evaluation excluded) and ``train_loss`` (mean loss on the whole training
    set). ``history`` is a `History`: its ``steps`` concatenate `fit`'s per-step records
    (the loss of every update's own batch) with a global step counter; its ``epochs``
    hold the whole-set evaluations (``epoch`` fractional). ``model`` is the trained model.
    """

    name: str
    batch_size: int
    lr: float
    n_train: int
    curve: pd.DataFrame
    history: History
    model: nn.Module

    @property
    def updates_per_epoch(self) -> int:
        return math.ceil(self.n_train / self.batch_size)

    @property
    def seconds_per_epoch(self) -> float:
        """Measured training seconds divided by the epochs run."""
        last = self.curve.iloc[-1]
        return float(last["seconds"] / last["epoch"])

    def loss_at(self, column: str, value: float) -> float:
        """The full training loss at ``value`` of ``column`` (linear interpolation).

        ``column`` is ``"updates"``, ``"epoch"`` or ``"seconds"``; ``value`` must lie within
        the run (a ValueError says the range otherwise).
        """
        xs = self.curve[column].to_numpy()
        if not xs[0] <= value <= xs[-1] * (1 + 1e-9):
            raise ValueError(f"{column}={value} lies outside this run ({xs[0]:.4g} to {xs[-1]:.4g})")
        return float(np.interp(value, xs, self.curve["train_loss"].to_numpy()))

    def mean_loss_between(self, column: str, low: float, high: float, points: int = 64) -> float:
        """The full training loss averaged over ``[low, high]`` of ``column`` (smooths a noisy curve)."""
        return float(np.mean([self.loss_at(column, value) for value in np.linspace(low, high, points)]))


def evaluation_points(n_train: int, batch_size: int, epochs: int, per_epoch: int = 16) -> list[int]:
    """Update counts at which to measure the full training loss.

    Every epoch end, ``per_epoch`` evenly spaced points inside each epoch, and powers of
    two in the first epoch, so that a log-scaled axis of updates has points from 1 on.
    """
    check_int("n_train", n_train, 1)
    check_int("batch_size", batch_size, 1, n_train, "the number of training samples")
    check_int("epochs", epochs, 1)
    check_int("per_epoch", per_epoch, 1)
    steps_per_epoch = math.ceil(n_train / batch_size)
    points = {steps_per_epoch * epoch for epoch in range(1, epochs + 1)}
    for epoch in range(epochs):
        points |= {epoch * steps_per_epoch + round(k * steps_per_epoch / per_epoch) for k in range(1, per_epoch)}
    points |= {2 ** k for k in range(int(math.log2(steps_per_epoch)) + 1)}
    return sorted(p for p in points if 0 < p <= epochs * steps_per_epoch)


def train_variant(
    model: nn.Module,
    train: Split,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    seed: int = 0,
    name: str = "",
    per_epoch: int = 16,
    extra_points: Sequence[int] = (),
) -> VariantRun:
    """Plain SGD with ``batch_size`` for ``epochs`` epochs, measuring the full training loss.

    Each epoch shuffles the training set once and walks through it in batches, as `fit`
    does. To measure the full training loss *inside* an epoch, the epoch is cut into
    chunks at the evaluation points (`evaluation_points` plus ``extra_points``) and each
    chunk is trained with `fit` (one pass, no momentum, so nothing carries over between
    chunks). The seconds are `fit`'s own measured training time, summed over the chunks;
    the evaluations are not counted.
    """
    check_int("batch_size", batch_size, 1, len(train), "the number of training samples")
    check_positive("lr", lr)
    check_int("epochs", epochs, 1)
    n_train = len(train)
    steps_per_epoch = math.ceil(n_train / batch_size)
    total = epochs * steps_per_epoch
    points = sorted(set(evaluation_points(n_train, batch_size, epochs, per_epoch))
                    | {int(p) for p in extra_points if 0 < p <= total})
    generator = torch.Generator().manual_seed(seed)
    rows = [(0, 0.0, 0.0, evaluate(model, train)[0])]
    step_tables: list[pd.DataFrame] = []
    updates, seconds, diverged, message = 0, 0.0, False, ""
    for epoch in range(1, epochs + 1):
        order = torch.randperm(n_train, generator=generator).to(train.y.device)
        first_step = (epoch - 1) * steps_per_epoch
        for point in (p for p in points if first_step < p <= first_step + steps_per_epoch):
            index = order[(updates - first_step) * batch_size:(point - first_step) * batch_size]
            chunk = fit(model, Split(train.x[index], train.y[index]), epochs=1, lr=lr,
                        batch_size=min(batch_size, len(index)), seed=seed * 100_003 + point,
                        progress=False, verbose=False, divergence_factor=1e12)
            steps = chunk.steps.assign(step=chunk.steps["step"] + updates, epoch=epoch,
                                       seconds=chunk.steps["seconds"] + seconds)
            step_tables.append(steps)
            updates += len(chunk.steps)
            seconds += float(chunk.steps["seconds"].iloc[-1]) if chunk.diverged else \
                float(chunk.epochs["seconds"].iloc[-1])  # measured after the last sync
            train_loss = evaluate(model, train)[0]
            rows.append((updates, updates / steps_per_epoch, seconds, train_loss))
            # A chunk can be a handful of images, too few for fit's own check to mean much;
            # judge divergence on the loss over the whole training set instead.
            if chunk.diverged or not math.isfinite(train_loss) or train_loss > DIVERGENCE_FACTOR * rows[0][3]:
                diverged = True
                message = (f"{name or 'run'} (batch size {batch_size}, lr {lr:g}) diverged after {updates} "
                           f"updates: training loss {train_loss:.3g}, started at {rows[0][3]:.3g}")
                break
        if diverged:
            break
    curve = pd.DataFrame(rows, columns=["updates", "epoch", "seconds", "train_loss"])
    # The same evaluations in the layout of fit's epoch table, so that plots.plot_history accepts them.
    epochs_table = curve.assign(train_acc=math.nan, val_loss=math.nan, val_acc=math.nan)[
        ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds", "updates"]]
    history = History(pd.concat(step_tables, ignore_index=True), epochs_table, diverged=diverged, message=message)
    return VariantRun(name=name, batch_size=batch_size, lr=lr, n_train=n_train, curve=curve, history=history,
                      model=model)


def compare_variants(
    train: Split,
    *,
    lr: float,
    full_batch_epochs: int,
    minibatch_epochs: int,
    stochastic_epochs: int,
    minibatch_size: int = 32,
    seed: int = 0,
    depth: int = 0,
    width: int = 64,
    threads: int | None = 1,
) -> dict[str, VariantRun]:
    """Train the same model from the same initialisation with the three variants.

    Batch sizes: ``len(train)`` (full batch), ``minibatch_size`` and 1 (stochastic). All
    use plain SGD with the same learning rate ``lr``. Each gets its own number of epochs,
    because their epochs cost so differently: a full-batch epoch is one update, a
    stochastic one is ``len(train)`` updates. Every run is also measured after
    ``full_batch_epochs`` updates, the point where the per-update comparison is made.
    ``depth=0`` is softmax regression, ``depth>0`` an MLP of that many hidden layers.
    ``threads``: CPU threads while training (see `cpu_threads`).
    """
    check_int("minibatch_size", minibatch_size, 2, len(train) - 1, "strictly between 1 and len(train)")
    settings = {
        "full batch": (len(train), check_int("full_batch_epochs", full_batch_epochs, 1)),
        "mini-batch": (minibatch_size, check_int("minibatch_epochs", minibatch_epochs, 1)),
        "stochastic": (1, check_int("stochastic_epochs", stochastic_epochs, 1)),
    }
    runs = {}
    with cpu_threads(threads):
        for name, (batch_size, epochs) in settings.items():
            seed_everything(seed)
            model = mlp(width=width, depth=depth).to(train.x.device)
            runs[name] = train_variant(model, train, batch_size=batch_size, lr=lr, epochs=epochs,
                                       seed=seed, name=name, extra_points=(full_batch_epochs,))
    return runs


def variant_claims(runs: dict[str, VariantRun], at_epoch: int | None = None) -> dict[str, float]:
    """The numbers behind the lesson's three comparisons.

    - per epoch: loss after ``at_epoch`` epochs (default: the shortest run's last epoch);
    - per update: loss after as many updates as the full-batch run made;
    - per second: loss of each run at the moment ``at_seconds`` when the first run stops
      (``*_seconds_loss``), and averaged over the second half of that time, from
      ``at_seconds / 2`` to ``at_seconds`` (``*_window_loss``), which is less at the mercy
      of one noisy point of the stochastic curve.
    """
    full, mini, sgd = runs["full batch"], runs["mini-batch"], runs["stochastic"]
    diverged = [name for name, run in runs.items() if run.history.diverged]
    if diverged:
        raise ValueError(f"cannot compare: {', '.join(diverged)} diverged (try a smaller lr)")
    at_epoch = at_epoch or min(int(run.curve["epoch"].iloc[-1]) for run in runs.values())
    at_updates = int(full.curve["updates"].iloc[-1])
    at_seconds = min(run.curve["seconds"].iloc[-1] for run in runs.values())
    claims = {"at_epoch": at_epoch, "at_updates": at_updates, "at_seconds": float(at_seconds)}
    for key, run in (("full", full), ("mini", mini), ("sgd", sgd)):
        claims[f"{key}_epoch_loss"] = run.loss_at("epoch", at_epoch)
        claims[f"{key}_update_loss"] = run.loss_at("updates", at_updates)
        claims[f"{key}_seconds_loss"] = run.loss_at("seconds", at_seconds)
        claims[f"{key}_window_loss"] = run.mean_loss_between("seconds", at_seconds / 2, at_seconds)
        claims[f"{key}_seconds_per_epoch"] = run.seconds_per_epoch
    return claims


def variant_table(claims: dict[str, float]) -> pd.DataFrame:
    """`variant_claims` as a table: one row per variant, one column per comparison (labelled)."""
    at_epoch, at_updates, at_seconds = claims["at_epoch"], claims["at_updates"], claims["at_seconds"]
    columns = {
        f"loss after {at_epoch:g} epochs": "epoch_loss",
        f"loss after {at_updates:g} updates": "update_loss",
        f"loss at {at_seconds:.2f} s": "seconds_loss",
        f"mean loss {at_seconds / 2:.2f}-{at_seconds:.2f} s": "window_loss",
        "seconds per epoch": "seconds_per_epoch",
    }
    rows = {"full batch": "full", "mini-batch": "mini", "stochastic (B=1)": "sgd"}
    table = pd.DataFrame({label: [claims[f"{key}_{suffix}"] for key in rows.values()]
                          for label, suffix in columns.items()}, index=list(rows))
    table.index.name = "variant"
    return table.round(4)


def plot_variants(runs: dict[str, VariantRun], *, title: str = "") -> Figure:
    """Full training loss against epochs and updates (both log scale) and measured seconds.

    Every run is drawn whole on every axis. The runs last very different numbers of epochs
    (a full-batch epoch is a single update), so the epoch axis is logarithmic too; the
    untrained model (epoch 0, update 0) is drawn at the left edge.
    """
    fig, axes = new_figure(ncols=3, width=4.4, height=3.8, sharey=True)
    # Where epoch 0 goes on the log axis: half the earliest evaluation of any run.
    first_epoch = min(float(run.curve["epoch"][run.curve["epoch"] > 0].min()) for run in runs.values())
    for name, run in runs.items():
        curve = run.curve
        epochs = int(round(curve["epoch"].iloc[-1]))
        style = {"color": VARIANT_COLOURS.get(name), "label": f"{name} (B={run.batch_size}, {epochs} epochs)"}
        if name == "full batch":  # dashed and wider, so that it stays visible under an overlapping curve
            style.update(linestyle="--", linewidth=2.2)
        axes[0].plot(curve["epoch"].clip(lower=first_epoch / 2), curve["train_loss"], **style)
        axes[1].plot(curve["updates"].clip(lower=0.5), curve["train_loss"], **style)
        axes[2].plot(curve["seconds"], curve["train_loss"], **style)
    axes[0].set(xlabel="epochs (passes over the training set, log scale)",
                ylabel="training loss (cross-entropy, whole set)", title="Per epoch", xscale="log")
    axes[1].set(xlabel="updates (parameter steps, log scale)", xscale="log", title="Per update")
    axes[2].set(xlabel="measured training time (s)", title="Per second", xlim=(0, None))
    axes[0].legend(fontsize="x-small", loc="lower left")  # the curves all start at the top left
    fig.suptitle(title or "The same model, data and learning rate; three batch sizes")
    return fig


def plot_batch_losses(runs: dict[str, VariantRun], names: Sequence[str] = ("stochastic", "mini-batch"),
                      *, smooth: int = 50, y_max: float = 5.0) -> Figure:
    """Per-step batch losses recorded by `fit` against the loss on the whole training set.

    One panel per run in ``names``: every update's own batch loss (faint), its moving
    average (over ``smooth`` updates, fewer for a short run), and the whole-set loss
    measured between chunks.
    Batch losses above ``y_max`` are cut off; the panel title says how many.
    """
    fig, axes = new_figure(ncols=len(names), width=4.8, height=3.6, sharey=True)
    axes = np.atleast_1d(axes)  # one name gives a single Axes
    for ax, name in zip(axes, names):
        run = runs[name]
        steps, colour = run.history.steps, VARIANT_COLOURS.get(name)
        ax.plot(steps["step"], steps["loss"], color=colour, alpha=0.2, linewidth=0.6,
                label="loss of the step's own batch")
        window = max(1, min(smooth, len(steps) // 20))
        ax.plot(steps["step"], steps["loss"].rolling(window, min_periods=1).mean(), color=colour,
                label=f"its moving average ({window} steps)")
        ax.plot(run.curve["updates"], run.curve["train_loss"], "k--", linewidth=1.4,
                label="loss on the whole training set")
        clipped = int((steps["loss"] > y_max).sum())
        note = f": {clipped} values above {y_max:g} cut off" if clipped else ""
        ax.set(xlabel="updates", ylim=(0, y_max), title=f"{name} (B={run.batch_size}){note}")
    axes[0].set(ylabel="training loss (cross-entropy)")
    for ax in axes:
        ax.legend(fontsize="x-small", loc="upper right")
    fig.suptitle("What fit records at each step: the loss of that step's batch only")
    return fig


# --------------------------------------------------------------------------------------
# Experiment 2: how good is a mini-batch gradient?
# --------------------------------------------------------------------------------------

def flat_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module | None = None) -> torch.Tensor:
    """The gradient of the mean loss over ``(x, y)`` with respect to all parameters, as one vector."""
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    parameters = [p for p in model.parameters() if p.requires_grad]
    loss = loss_fn(model(x), y)
    grads = torch.autograd.grad(loss, parameters)
    return torch.cat([g.reshape(-1) for g in grads]).detach()


def per_sample_gradient_variance(model: nn.Module, train: Split, chunk: int = 256) -> tuple[float, float]:
    """``(tr Sigma, |G|^2)``: total variance of the per-sample gradients and the squared norm of their mean.

    ``Sigma`` is the covariance of the N per-sample gradients (divided by N), computed
    exactly with ``torch.func`` (vmap of grad). Sampling B of the N examples without
    replacement then gives a mini-batch gradient whose expected squared distance from the
    full gradient is ``tr Sigma / B * (N - B) / (N - 1)``.
    """
    from torch.func import functional_call, grad, vmap

    params = {name: p.detach() for name, p in model.named_parameters()}
    loss_fn = nn.CrossEntropyLoss()

    def sample_loss(parameters, x, y):
        out = functional_call(model, parameters, (x.unsqueeze(0),))
        return loss_fn(out, y.unsqueeze(0))

    sample_grad = vmap(grad(sample_loss), in_dims=(None, 0, 0))
    total, total_sq = None, 0.0
    for start in range(0, len(train), chunk):
        grads = sample_grad(params, train.x[start:start + chunk], train.y[start:start + chunk])
        # Sums of many squares lose digits in float32; MPS has no float64, so sum on the CPU.
        flat = torch.cat([g.reshape(g.shape[0], -1) for g in grads.values()], dim=1).cpu().double()
        total = flat.sum(0) if total is None else total + flat.sum(0)
        total_sq += float((flat ** 2).sum())
    n = len(train)
    mean = total / n
    mean_sq = float(mean @ mean)
    return total_sq / n - mean_sq, mean_sq


def gradient_quality(
    model: nn.Module,
    train: Split,
    batch_sizes: Sequence[int],
    *,
    n_batches: int = 64,
    min_examples: int = 512,
    seed: int = 0,
    threads: int | None = 1,
) -> pd.DataFrame:
    """Mini-batch gradients against the full gradient, at the model's current parameters.

    For each batch size B, ``max(n_batches, min_examples // B)`` batches are drawn (each
    without replacement) from ``train``: small batches are the noisiest and the cheapest,
    so they get more draws. Each batch's gradient of the mean loss is compared with the
    full gradient G over all of ``train``.

    Columns: ``batch_size``; ``cosine`` (mean cosine similarity with G) and
    ``cosine_std``; ``variance`` (mean of |g_B - G|^2); ``variance_corrected`` (times
    (N - 1)/(N - B), removing the finite-population factor); ``predicted_variance``
    (``tr Sigma / B * (N - B)/(N - 1)`` from the exact per-sample gradients, an
    independent computation); ``full_gradient_norm``. ``threads``: CPU threads while
    computing (see `cpu_threads`).
    """
    n = len(train)
    check_int("n_batches", n_batches, 2)
    check_int("min_examples", min_examples, 0)
    sizes = [check_int("batch_sizes", int(b), 1, n - 1, "1 to len(train) - 1") for b in batch_sizes]
    if len(sizes) < 2:
        raise ValueError(f"batch_sizes needs at least two sizes (got {list(batch_sizes)!r})")
    model.to(train.x.device)  # like fit: the model follows the data
    with cpu_threads(threads):
        return _gradient_quality(model, train, sizes, n_batches, min_examples, seed)


def _gradient_quality(model, train, sizes, n_batches, min_examples, seed) -> pd.DataFrame:
    n = len(train)
    was_training = model.training
    model.eval()  # the same function for every batch (no dropout); plain MLPs are unaffected
    full = flat_gradient(model, train.x, train.y)
    trace_sigma, _ = per_sample_gradient_variance(model, train)
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for b in sizes:
        cosines, distances = [], []
        for _ in range(max(n_batches, min_examples // b)):
            index = torch.randperm(n, generator=generator)[:b].to(train.y.device)
            g = flat_gradient(model, train.x[index], train.y[index])
            cosines.append(float(nn.functional.cosine_similarity(g, full, dim=0)))
            distances.append(float(((g - full) ** 2).sum()))
        finite = (n - b) / (n - 1)
        variance = float(np.mean(distances))
        rows.append({
            "batch_size": b, "cosine": float(np.mean(cosines)), "cosine_std": float(np.std(cosines)),
            "variance": variance, "variance_corrected": variance / finite,
            "predicted_variance": trace_sigma / b * finite, "full_gradient_norm": float(full.norm()),
        })
    model.train(was_training)
    return pd.DataFrame(rows)


def variance_slope(quality: pd.DataFrame, column: str = "variance_corrected") -> float:
    """Slope of log(``column``) against log(batch size): -1 means variance proportional to 1/B."""
    slope, _ = np.polyfit(np.log(quality["batch_size"]), np.log(quality[column]), 1)
    return float(slope)


def expected_cosine(quality: pd.DataFrame) -> pd.Series:
    """Rough prediction of the mean cosine: ``|G| / sqrt(|G|^2 + predicted variance)``.

    A mini-batch gradient is the full gradient plus noise of squared size ``variance``; in
    many dimensions the noise is nearly orthogonal to G, which gives this ratio.
    """
    signal = quality["full_gradient_norm"] ** 2
    return np.sqrt(signal / (signal + quality["predicted_variance"]))


def plot_gradient_quality(qualities: dict[str, pd.DataFrame] | pd.DataFrame, *, title: str = "") -> Figure:
    """Cosine similarity with the full gradient (left) and gradient variance (right, log-log).

    ``qualities``: one `gradient_quality` table, or a dict label -> table (e.g. one per
    parameter point). Points are measured, lines are the predictions.
    """
    if isinstance(qualities, pd.DataFrame):
        qualities = {"": qualities}
    fig, (ax_cos, ax_var) = new_figure(ncols=2, width=5.2, height=4.0)
    palette = sns.color_palette(n_colors=max(len(qualities), 1))
    for colour, (label, quality) in zip(palette, qualities.items()):
        b = quality["batch_size"]
        prefix = f"{label}: " if label else ""
        ax_cos.errorbar(b, quality["cosine"], yerr=quality["cosine_std"], fmt="o", color=colour, capsize=3,
                        label=f"{prefix}measured (mean ± std)")
        ax_cos.plot(b, expected_cosine(quality), "-", color=colour, alpha=0.6, label=f"{prefix}predicted")
        slope = variance_slope(quality)
        ax_var.plot(b, quality["variance"], "o", color=colour, label=f"{prefix}measured (fitted slope {slope:.2f})")
        ax_var.plot(b, quality["predicted_variance"], "-", color=colour, alpha=0.6, label=f"{prefix}predicted")
    ax_cos.set(xscale="log", ylim=(-0.1, 1.05), xlabel="batch size B (log scale)",
               ylabel="cosine similarity with the full gradient", title="Direction: closer to G as B grows")
    ax_cos.legend(fontsize="x-small", loc="upper left")
    ax_var.set(xscale="log", yscale="log", xlabel="batch size B (log scale)",
               ylabel=r"variance $E\,|g_B - G|^2$ (log scale)", title="Spread: falls about as 1/B")
    ax_var.legend(fontsize="x-small", loc="lower left")
    fig.suptitle(title or "Mini-batch gradients g_B against the full gradient G, at fixed parameters")
    return fig


# --------------------------------------------------------------------------------------
# Experiment 3: trajectories on a 2-D loss surface
# --------------------------------------------------------------------------------------

@dataclass
class Regression2D:
    """Data of the 2-parameter problem: fit ``y ~ w * x + b`` by least squares."""

    x: np.ndarray
    y: np.ndarray

    def loss(self, w, b):
        """Mean of ``(w x + b - y)^2 / 2`` over the data; ``w`` and ``b`` may be arrays (a grid)."""
        w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
        residual = w[..., None] * self.x + b[..., None] - self.y
        return 0.5 * np.mean(residual ** 2, axis=-1)

    def minimum(self) -> np.ndarray:
        """The least-squares solution ``(w*, b*)``."""
        design = np.stack([self.x, np.ones_like(self.x)], 1)
        return np.linalg.lstsq(design, self.y, rcond=None)[0]


def make_regression_2d(n: int = 64, noise: float = 1.0, *, seed: int = 0) -> Regression2D:
    """``n`` points with ``x ~ U(0, 2)`` and ``y = 2 x - 1 + noise * N(0, 1)``.

    Because x is not centred, the loss surface is an elongated, tilted valley.
    """
    check_int("n", n, 2)
    if noise < 0:
        raise ValueError(f"noise must be a finite number >= 0 (got {noise!r})")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 2, n)
    return Regression2D(x, 2 * x - 1 + noise * rng.standard_normal(n))


START_2D = (-1.0, 3.0)


def trace_2d(
    problem: Regression2D,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    seed: int = 0,
    start: tuple[float, float] = START_2D,
) -> np.ndarray:
    """The path ``(w, b)`` of mini-batch gradient descent, one row per update (start included).

    Each epoch shuffles the data and walks through it in batches of ``batch_size``.
    Stops early (returning the path so far) if the parameters blow up.
    """
    n = len(problem.x)
    check_int("batch_size", batch_size, 1, n, "the number of data points")
    check_positive("lr", lr)
    check_int("epochs", epochs, 1)
    rng = np.random.default_rng(seed)
    steps_per_epoch = math.ceil(n / batch_size)
    path = np.empty((epochs * steps_per_epoch + 1, 2))
    w, b = map(float, start)
    path[0] = w, b
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        x_epoch, y_epoch = problem.x[order], problem.y[order]  # slices of these are cheap views
        for begin in range(0, n, batch_size):
            x, y = x_epoch[begin:begin + batch_size], y_epoch[begin:begin + batch_size]
            residual = w * x + b - y
            w, b = w - lr * float(residual @ x) / len(x), b - lr * float(residual.sum()) / len(x)
            step += 1
            path[step] = w, b
            if not (math.isfinite(w) and math.isfinite(b)) or max(abs(w), abs(b)) > 1e3:
                return path[:step + 1]  # blown up: stop here
    return path


def trajectory_claims(problem: Regression2D, *, lr: float, epochs: int, minibatch_size: int,
                      long_epochs: int, seed: int = 0) -> dict[str, float]:
    """Excess loss (above the minimum) of each variant, averaged over the updates of its last epoch.

    ``*_excess`` after ``epochs`` epochs (the per-epoch comparison), ``*_long_excess``
    after ``long_epochs`` (does it settle at the minimum?). Averaging over the last epoch
    rather than taking the end point keeps one lucky or unlucky step of a noisy path
    from deciding; for full batch the last epoch is its single last update.
    """
    best = float(problem.loss(*problem.minimum()))
    n = len(problem.x)
    check_int("long_epochs", long_epochs, 1)
    claims = {}
    for key, b in (("full", n), ("mini", minibatch_size), ("sgd", 1)):
        for suffix, n_epochs in (("excess", epochs), ("long_excess", long_epochs)):
            path = trace_2d(problem, batch_size=b, lr=lr, epochs=n_epochs, seed=seed)
            last_epoch = path[-math.ceil(n / b):]
            claims[f"{key}_{suffix}"] = float(np.mean(problem.loss(last_epoch[:, 0], last_epoch[:, 1]))) - best
    return claims


def trajectory_table(claims: dict[str, float], epochs: int, long_epochs: int) -> pd.DataFrame:
    """`trajectory_claims` as a table: excess loss (above the minimum) of each variant, per budget."""
    rows = {"full batch": "full", "mini-batch": "mini", "stochastic (B=1)": "sgd"}

    def two_digits(value: float) -> float:  # the excess losses span many decades: significant digits, not decimals
        return float(f"{value:.2g}")

    table = pd.DataFrame({
        f"excess loss after {epochs} epochs": [two_digits(claims[f"{key}_excess"]) for key in rows.values()],
        f"excess loss after {long_epochs} epochs": [two_digits(claims[f"{key}_long_excess"]) for key in rows.values()],
    }, index=list(rows))
    table.index.name = "variant"
    return table


def plot_trajectories(
    problem: Regression2D,
    paths: dict[str, np.ndarray],
    *,
    updates_per_epoch: dict[str, int] | None = None,
    title: str = "",
) -> Figure:
    """Contours of the loss with the paths (left) and the loss along each path per epoch (right)."""
    fig, (ax_map, ax_loss) = new_figure(ncols=2, width=5.2, height=4.3)
    w_star, b_star = problem.minimum()
    w_grid, b_grid = np.meshgrid(np.linspace(-2.5, 4.5, 160), np.linspace(-3.5, 4.5, 160))
    surface = problem.loss(w_grid, b_grid)
    levels = float(problem.loss(w_star, b_star)) + np.geomspace(0.01, 20, 14)
    ax_map.contour(w_grid, b_grid, surface, levels=levels, colors="grey", linewidths=0.6, alpha=0.7)
    # Start and minimum on top of every path (zorder), white-edged so that they stand out on a dark path.
    ax_map.plot(*START_2D, "ks", markersize=8, markeredgecolor="white", markeredgewidth=1.2, zorder=6,
                label="start")
    ax_map.plot(w_star, b_star, "*", color="gold", markersize=17, markeredgecolor="black", markeredgewidth=1.0,
                zorder=6, label="minimum")
    palette = sns.color_palette(n_colors=len(paths))
    # The noisiest path first, so that the smoother ones stay visible on top of it.
    drawing_order = {"stochastic": 0, "mini-batch": 1, "full batch": 2}
    order = sorted(paths, key=lambda label: drawing_order.get(label.split(" (")[0], 1))
    for colour, label in zip(palette, order):
        path = paths[label]
        colour = VARIANT_COLOURS.get(label.split(" (")[0], colour)
        width = 2.2 if label.startswith("full batch") else 1.6 if label.startswith("mini") else 0.7
        # The B=1 path has an update per data point: thin and translucent, or it hides everything under it.
        alpha = 0.9 if label.startswith("full batch") else 0.75 if label.startswith("mini") else 0.45
        blown_up = not np.all(np.isfinite(path[-1])) or np.abs(path[-1]).max() > 1e3
        shown = f"{label}: diverged" if blown_up else label
        ax_map.plot(path[:, 0], path[:, 1], "-", color=colour, linewidth=width, alpha=alpha, label=shown)
        ax_map.plot(path[-1, 0], path[-1, 1], "o", color=colour, markersize=7, markeredgecolor="white",
                    markeredgewidth=1.2, zorder=5)
        per_epoch = (updates_per_epoch or {}).get(label, 1)
        ax_loss.plot(np.arange(len(path)) / per_epoch, problem.loss(path[:, 0], path[:, 1]), color=colour,
                     label=shown, linewidth=width)
    ax_loss.axhline(float(problem.loss(w_star, b_star)), color="black", linestyle=":", label="minimum")
    ax_loss.set_ylim(0, 1.5 * float(problem.loss(*START_2D)))  # a diverging path leaves the top
    ax_map.set(xlim=(-2.5, 4.5), ylim=(-3.5, 4.5), xlabel="slope w", ylabel="intercept b",
               title="Paths on the loss surface")
    ax_map.legend(fontsize="x-small", loc="upper right")
    ax_loss.set(xlabel="epochs (passes over the data)", ylabel="training loss (mean squared error / 2)",
                title="Loss along each path")
    ax_loss.legend(fontsize="x-small", loc="upper right")
    fig.suptitle(title or "Gradient descent on a 2-parameter linear regression")
    return fig


def explore_trajectories(lr: float = 0.1, batch_size: int = 8, epochs: int = 10, seed: int = 0,
                         n: int = 64) -> Figure:
    """Slider function: full batch, stochastic (B=1) and mini-batch (``batch_size``) paths."""
    problem = make_regression_2d(n, seed=seed)
    check_int("batch_size", batch_size, 1, n, "the number of data points")
    sizes = {"full batch": n, "mini-batch": batch_size, "stochastic": 1}
    paths, per_epoch = {}, {}
    for name, b in sizes.items():
        label = f"{name} (B={b})"
        paths[label] = trace_2d(problem, batch_size=b, lr=lr, epochs=epochs, seed=seed)
        per_epoch[label] = math.ceil(n / b)
    lengths = ", ".join(f"B={b}: {len(paths[f'{k} (B={b})']) - 1}" for k, b in sizes.items())
    # The learning rate as the slider writes it (two significant digits), not 0.177828.
    return plot_trajectories(problem, paths, updates_per_epoch=per_epoch,
                             title=f"lr={slider_text(lr)}, {epochs} epochs; updates made: {lengths}")


def explore_trajectories_panel():
    """Sliders for learning rate, mini-batch size and epochs (redraws on release).

    The data stay the lesson's 64 points (``n`` and ``seed`` keep their defaults), so the
    mini-batch slider stops at 64, the number of points.
    """
    return slider_panel(explore_trajectories, lr=log_slider("learning rate", 0.1, 0.01, 1.0, steps_per_decade=20),
                        batch_size=int_slider("mini-batch size", 8, 1, 64),
                        epochs=int_slider("epochs", 10, 1, 60), seed=fixed(0), n=fixed(64))


# --------------------------------------------------------------------------------------
# Experiment 4: seconds per epoch against batch size
# --------------------------------------------------------------------------------------

def time_per_epoch(
    train: Split,
    batch_sizes: Sequence[int],
    *,
    lr: float = 0.004,
    repeats: int = 2,
    seed: int = 0,
    depth: int = 0,
    width: int = 64,
    threads: int | None = 1,
) -> pd.DataFrame:
    """Measured training seconds of one epoch for each batch size (`fit`'s own clock).

    Each batch size is timed ``repeats`` times and the fastest is kept: other programs
    can only slow a run down, so the minimum is the best estimate of the cost itself.
    Columns: ``batch_size``, ``updates`` (per epoch), ``seconds``, ``ms_per_update``.
    """
    sizes = [check_int("batch_sizes", int(b), 1, len(train), "the number of training samples") for b in batch_sizes]
    check_positive("lr", lr)
    check_int("repeats", repeats, 1)
    rows = []
    with cpu_threads(threads):
        for b in sizes:
            seconds = math.inf
            for repeat in range(repeats):
                seed_everything(seed)
                model = mlp(width=width, depth=depth).to(train.x.device)
                history = fit(model, train, epochs=1, lr=lr, batch_size=b, seed=seed + repeat,
                              progress=False, verbose=False, divergence_factor=1e12)
                seconds = min(seconds, float(history.epochs["seconds"].iloc[-1]))
            updates = math.ceil(len(train) / b)
            rows.append({"batch_size": b, "updates": updates, "seconds": seconds,
                         "ms_per_update": 1000 * seconds / updates})
    return pd.DataFrame(rows)


def plot_time_per_epoch(timing: pd.DataFrame, *, title: str = "") -> Figure:
    """Seconds per epoch (left) and milliseconds per update (right) against batch size."""
    fig, (ax_epoch, ax_update) = new_figure(ncols=2, width=4.8)
    ax_epoch.plot(timing["batch_size"], timing["seconds"], "o-")
    for _, row in timing.iterrows():
        ax_epoch.annotate(f"{int(row['updates'])} updates", (row["batch_size"], row["seconds"]),
                          textcoords="offset points", xytext=(4, 4), fontsize="x-small")
    ax_epoch.margins(x=0.2)
    ax_epoch.set(xscale="log", yscale="log", xlabel="batch size B (log scale)",
                 ylabel="seconds per epoch (log scale)", title="Time for one pass over the data")
    ax_update.plot(timing["batch_size"], timing["ms_per_update"], "o-", color="C1")
    ax_update.set(xscale="log", ylim=(0, 1.15 * timing["ms_per_update"].max()), xlabel="batch size B (log scale)",
                  ylabel="milliseconds per update", title="Time for one update")
    fig.suptitle(title or "Measured on this machine")
    return fig


# --------------------------------------------------------------------------------------
# Exercises
# --------------------------------------------------------------------------------------

EXERCISES: dict[str, Exercise] = {
    "updates_per_epoch": numeric(
        "The full Fashion-MNIST training set has 60,000 images. With mini-batches of 128, how many "
        "updates does one epoch make? (The last, smaller batch counts as an update.)",
        math.ceil(60_000 / 128), rel_tol=0, abs_tol=0.5,
        hint_low="One update per batch: how many batches of 128 does it take to cover 60,000 images?",
        hint_high="Each update uses 128 images, not one; and an epoch sees every image exactly once.",
        explanation="60,000 / 128 = 468.75, so 468 full batches plus one of 96 images: 469 updates. "
                    "Full-batch descent makes 1 update per epoch, SGD with B=1 makes 60,000.",
    ),
    "noise_vs_batch": numeric(
        "You multiply the batch size by 16 (say from 8 to 128, still far below N). By what factor does "
        "the *typical size* of the gradient error |g_B - G| (the square root of the variance) shrink?",
        4.0, rel_tol=0.01,
        hint_low="The variance falls as 1/B. By how much does it fall here, and what is the square root of that?",
        hint_high="That is the factor for the variance. The question asks for the typical size, its square root.",
        explanation="Variance falls 16-fold, so the typical error (its square root) only 4-fold: "
                    "16 times the compute per update for a gradient 4 times less noisy.",
    ),
    "without_replacement": multiple_choice(
        "The batches here are drawn *without replacement* from N training examples. What is the variance "
        "of the mini-batch gradient when B = N?",
        {"a": "tr(Sigma) / N, as the 1/B law predicts",
         "b": "zero: the batch is the whole training set, so its gradient is the full gradient",
         "c": "it depends on the random order of the examples"},
        correct="b",
        hints={"a": "The 1/B law assumes independent draws. Which examples does a batch of N drawn without "
                    "replacement contain?",
               "c": "Does the mean of the same N numbers depend on the order in which you add them?"},
        explanation="A batch of all N examples is the training set itself, whatever the order, so there is "
                    "no spread left. The factor (N - B)/(N - 1) captures this: 1 for B = 1, 0 for B = N. "
                    "For B much smaller than N it is close to 1 and the 1/B law holds.",
    ),
    "why_b1_slow": multiple_choice(
        "Your timing shows that an epoch with B = 1 takes far longer than with B = 256, although both "
        "compute the same number of per-example gradients. Why?",
        {"a": "With B = 1 the gradients are noisier, and noise takes longer to compute",
         "b": "Every update has a fixed cost (Python, launching each operation, the optimizer step) that "
              "B = 1 pays N times per epoch, while batched matrix products use the hardware in parallel",
         "c": "B = 1 uses a smaller learning rate"},
        correct="b",
        hints={"a": "Noise changes where the update goes, not how long it takes to compute.",
               "c": "Every run in the timing experiment uses the same learning rate; and the rate is one "
                    "multiplication per parameter whatever its value."},
        explanation="The arithmetic per epoch is about the same, but B = 1 pays the per-update overhead N "
                    "times and cannot use vectorised matrix products; a GPU widens the gap further.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def cosine_similarity(g: torch.Tensor, full: torch.Tensor) -> float:
    """The cosine of the angle between two gradient vectors: 1 = same direction, 0 = orthogonal, -1 = opposite."""
    return float(g @ full / (g.norm() * full.norm()))


def _cosine_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(int(np.random.default_rng().integers(2**31)))
    cases = [(torch.randn(d, generator=generator) * 3, torch.randn(d, generator=generator)) for d in (2, 10, 7850)]
    full = torch.randn(50, generator=generator)
    cases += [(5 * full, full), (-0.1 * full, full),                         # parallel, opposite
              (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])),           # orthogonal
              (full + torch.randn(50, generator=generator), full)]
    return cases


EXERCISES["cosine"] = function_exercise(
    "Write `cosine_similarity(g, full)` for two gradient vectors (1-D tensors of the same length), as in "
    "section 3: the cosine of the angle between a batch gradient `g` and the full gradient `full`.",
    cosine_similarity, _cosine_cases,
    mistakes=[
        (lambda g, full: float(g @ full),
         "You returned the dot product. It also grows with the lengths of the two vectors; divide by both "
         "lengths so that only the angle is left."),
        (lambda g, full: float(g @ full / full.norm() ** 2),
         "You divided by the full gradient's squared length only: that is the size of g's projection on it, "
         "not a cosine (it is not 1 for g = 5 x full)."),
        (lambda g, full: abs(float(g @ full / (g.norm() * full.norm()))),
         "You dropped the sign. A batch gradient that points away from the full gradient (cosine below 0) "
         "would make the step go uphill: the sign matters."),
    ],
    explanation="`g @ full / (g.norm() * full.norm())`: the dot product of the two unit vectors. "
                "`torch.nn.functional.cosine_similarity(g, full, dim=0)` computes the same.",
)
