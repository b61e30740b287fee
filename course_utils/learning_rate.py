"""Lesson 05: the learning rate, schedules and adaptive methods.

Experiments (each a plain function; the notebook calls them and explains):

1. Gradient descent on a quadratic ``f(x) = L/2 x^2``: monotone for ``lr < 1/L``,
   oscillating for ``1/L < lr < 2/L``, diverging above ``2/L`` (`quadratic_regimes`).
2. Fashion-MNIST with a too-small, a good and a too-large rate (`lr_regimes`).
3. Schedules from `course_utils.schedules`, trained and compared (`compare_schedules`).
4. Adaptive methods at torch's defaults (`compare_default_optimizers`) and the
   sensitivity of SGD and Adam to the learning rate (`lr_sweep`, `good_lr_ranges`).
5. The article's "a low rate overfits, a large rate regularizes", tested at matched
   training loss (`lr_generalization`, `generalization_table`, `describe_generalization`).
6. A slider panel that trains a small model live (`explore_learning_rate`).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from .config import seed_everything
from .data import Data, fashion_mnist
from .exercises import function_exercise, multiple_choice, numeric
from .models import mlp
from .plots import new_figure
from .schedules import SCHEDULE_NAMES, Schedule, make_schedule, standard_schedules
from .training import History, fit
from .validation import check_choice, check_int, check_positive

BATCH_SIZE = 64
# Rates for plain SGD on the MLP below (inputs normalized, batch 64), chosen from the sweep
# in section 4: 1e-3 is torch's default for SGD and far too small here; 3 blew up in every run we tried.
LR_REGIMES = {"too small": 1e-3, "good": 0.1, "too large": 3.0}
SCHEDULE_LR0 = 0.2  # twice the good constant rate: decaying schedules spend most steps below lr0
GENERALIZATION_LRS = {"small": 0.02, "large": 0.2}  # a factor of 10 apart; 0.2 near the top of SGD's good range

# ====================================================================== 1. quadratic

def gd_on_quadratic(lr: float, curvature: float = 1.0, x0: float = 1.0, n_steps: int = 20) -> np.ndarray:
    """Iterates ``x_0 .. x_n`` of gradient descent (torch's SGD) on ``f(x) = curvature/2 * x^2``.

    Each step is ``x <- x - lr * f'(x) = (1 - lr * curvature) * x``, so the iterates are
    ``x0 * (1 - lr * curvature) ** t``; the function runs the real optimizer anyway.
    """
    check_positive("lr", lr)
    check_positive("curvature", curvature)
    check_int("n_steps", n_steps, 1)
    # float64 on the CPU (no device given): one scalar, and exact enough to compare with the closed form
    x = torch.tensor(float(x0), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=lr)
    iterates = [x.item()]
    for _ in range(n_steps):
        optimizer.zero_grad()
        (0.5 * curvature * x ** 2).backward()
        optimizer.step()
        iterates.append(x.item())
    return np.array(iterates)


def predicted_regime(lr: float, curvature: float = 1.0) -> str:
    """What theory says gradient descent does on the quadratic, from ``lr * curvature``."""
    product = check_positive("lr", lr) * check_positive("curvature", curvature)
    if math.isclose(product, 1.0):
        return "one step"
    if math.isclose(product, 2.0):
        return "bouncing"
    if product < 1:
        return "monotone"
    return "oscillating" if product < 2 else "diverging"


def measured_regime(iterates: Sequence[float]) -> str:
    """Classify iterates by what they did (not by the formula).

    ``monotone``: same sign throughout and ``|x|`` shrinking; ``oscillating``: the sign
    flips every step and ``|x|`` shrinks; ``diverging``: ``|x|`` grows; ``one step``:
    reached 0 and stayed; ``bouncing``: sign flips with constant size; otherwise ``other``.
    """
    x = np.asarray(iterates, dtype=float)
    if len(x) < 3 or x[0] == 0:
        raise ValueError(f"iterates must have >= 3 values and a nonzero start (got {len(x)} values, x0={x[0] if len(x) else None})")
    size, products = np.abs(x), x[:-1] * x[1:]
    # Rounding: lr * L = 1 or 2 in floating point can leave a residue of ~1e-16 per step.
    if np.all(size[1:] <= 1e-12 * size[0]):
        return "one step"
    if np.all(np.isclose(size, size[0], rtol=1e-9)) and np.all(products < 0):
        return "bouncing"
    if np.all(size[1:] > size[:-1]):
        return "diverging"
    if np.all(size[1:] < size[:-1]):
        if np.all(products > 0):
            return "monotone"
        if np.all(products < 0):
            return "oscillating"
    return "other"


def quadratic_regimes(lr_times_curvature: Sequence[float] = (0.3, 0.7, 1.0, 1.3, 1.7, 2.0, 2.2),
                      curvature: float = 4.0, n_steps: int = 12) -> pd.DataFrame:
    """One row per learning rate ``lr = factor / curvature``: predicted and measured regime."""
    rows = []
    for factor in lr_times_curvature:
        lr = check_positive("lr_times_curvature", factor) / curvature
        iterates = gd_on_quadratic(lr, curvature, n_steps=n_steps)
        rows.append({"lr": lr, "lr x L": factor, "predicted": predicted_regime(lr, curvature),
                     "measured": measured_regime(iterates), "x after 1 step": iterates[1],
                     f"|x| after {n_steps} steps": abs(iterates[-1])})
    return pd.DataFrame(rows)


def plot_quadratic_iterates(lr_times_curvature: Sequence[float] = (0.3, 0.7, 1.3, 1.7, 2.2),
                            curvature: float = 4.0, n_steps: int = 12) -> Figure:
    """Iterates ``x_t`` against ``t`` for several rates, one panel each, titled with the regime."""
    fig, axes = new_figure(ncols=len(lr_times_curvature), width=2.7, height=2.7, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, factor in zip(axes, lr_times_curvature):
        lr = factor / curvature
        iterates = gd_on_quadratic(lr, curvature, n_steps=n_steps)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.plot(np.arange(n_steps + 1), iterates, "o-", markersize=3)
        ax.set(title=f"lr = {factor:g}/L\n{measured_regime(iterates)}", xlabel="step t")
        ax.set_ylim(-2.2, 2.2)
    axes[0].set_ylabel("iterate x_t (start x_0 = 1)")
    fig.suptitle(f"Gradient descent on f(x) = L/2 x², L = {curvature:g}: points outside ±2 are off the chart")
    return fig


def explore_quadratic(lr: float = 0.4, curvature: float = 4.0, n_steps: int = 12) -> Figure:
    """Slider view: the path of gradient descent drawn on the parabola, and ``x_t`` against ``t``."""
    iterates = gd_on_quadratic(lr, curvature, n_steps=n_steps)
    fig, (ax_path, ax_t) = new_figure(ncols=2, width=4.8, height=3.4)
    reach = float(np.clip(np.abs(iterates).max(), 1.2, 3.0)) * 1.1
    grid = np.linspace(-reach, reach, 200)
    ax_path.plot(grid, 0.5 * curvature * grid ** 2, color="grey")
    shown = iterates[np.abs(iterates) <= reach]
    ax_path.plot(shown, 0.5 * curvature * shown ** 2, "o-", color="C1", markersize=4)
    ax_path.plot(iterates[0], 0.5 * curvature * iterates[0] ** 2, "s", color="C3", markersize=7)
    ax_path.set(xlabel="x", ylabel="loss f(x) = L/2 x²", title="Path on the loss curve (square: start)",
                ylim=(-0.05 * curvature, 0.5 * curvature * reach ** 2))
    ax_t.axhline(0, color="grey", linewidth=0.8)
    ax_t.plot(np.arange(n_steps + 1), iterates, "o-", color="C1", markersize=4)
    ax_t.set(xlabel="step t", ylabel="iterate x_t", title="Iterates over time", ylim=(-reach, reach))
    fig.suptitle(f"lr = {lr:.2f}, L = {curvature:.1f}: lr x L = {lr * curvature:.2f} -> {measured_regime(iterates)} "
                 f"(1/L = {1 / curvature:.3g}, 2/L = {2 / curvature:.3g})")
    return fig


def quadratic_panel():
    """Sliders for the learning rate and the curvature of the quadratic."""
    from .widgets import float_slider, int_slider, slider_panel

    return slider_panel(explore_quadratic, lr=float_slider("learning rate", 0.4, 0.02, 0.7, 0.01),
                        curvature=float_slider("curvature L", 4.0, 1.0, 6.0, 0.5),
                        n_steps=int_slider("steps", 12, 3, 40))


# ====================================================================== shared helpers

def load_data(n_train: int, n_test: int, seed: int = 0) -> Data:
    """A Fashion-MNIST training subset and a test subset (no validation split)."""
    return fashion_mnist(n_train=n_train, n_val=0, n_test=n_test, seed=seed)


def steps_per_run(n_train: int, epochs: int, batch_size: int = BATCH_SIZE) -> int:
    """Number of updates `fit` makes: ``epochs * ceil(n_train / batch_size)``."""
    return check_int("epochs", epochs, 1) * math.ceil(check_int("n_train", n_train, 1) / batch_size)


def train_mlp(data: Data, *, lr: float | None, epochs: int, width: int, optimizer="sgd",
              scheduler: Schedule | None = None, seed: int = 0, divergence_factor: float = 10.0,
              progress: bool | None = False, callbacks=()) -> History:
    """A fresh two-hidden-layer MLP trained with `fit`, evaluated on ``data.test`` each epoch.

    ``optimizer`` is a name (with ``lr``) or a callable ``params -> Optimizer`` (``lr=None``).
    """
    seed_everything(seed)
    model = mlp(width=width, depth=2).to(data.train.x.device)
    return fit(model, data.train, val=data.test, epochs=epochs, lr=lr, optimizer=optimizer,
               scheduler=scheduler, batch_size=BATCH_SIZE, seed=seed, divergence_factor=divergence_factor,
               progress=progress, callbacks=callbacks, verbose=False)


def _result_row(history: History) -> dict:
    """Final loss and accuracy (NaN for a diverged run: its last evaluation predates the blow-up)."""
    return {
        "final train loss": math.nan if history.diverged else history.final("train_loss"),
        "final test accuracy (%)": math.nan if history.diverged else 100 * history.final("val_acc"),
        "diverged": history.diverged,
    }


def _step_loss_axes(ax, histories: Mapping[str, History], smooth: int = 10, log_y: bool = True) -> None:
    """Smoothed mini-batch loss against update on ``ax``; a cross marks where a run diverged."""
    for colour, (label, history) in zip(_colours(len(histories)), histories.items()):
        steps = history.steps
        ax.plot(steps["step"], steps["loss"].rolling(smooth, min_periods=1).mean(), color=colour, label=label)
        if history.diverged:
            ax.plot(steps["step"].iloc[-1], steps["loss"].iloc[-1], "x", color=colour, markersize=10, mew=2)
    ax.set(xlabel="update (step)", ylabel="training loss (smoothed)")
    if log_y:
        _log_axis(ax.yaxis, ax.set_yscale)


def _log_axis(axis, set_scale, subs: tuple[float, ...] = (1.0, 2.0, 5.0)) -> None:
    """A log scale labelled with plain numbers (0.5, 1, 2) rather than powers of ten."""
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    set_scale("log")
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FormatStrFormatter("%g"))
    axis.set_minor_formatter(NullFormatter())


def _colours(n: int):
    import seaborn as sns

    return sns.color_palette(n_colors=max(n, 1))


# ====================================================================== 2. too small, good, too large

def lr_regimes(data: Data, *, epochs: int, width: int, seed: int = 0,
               lrs: Mapping[str, float] = LR_REGIMES) -> dict[str, History]:
    """Plain SGD at a too-small, a good and a too-large rate; label -> History."""
    return {label: train_mlp(data, lr=check_positive(f"lrs[{label!r}]", lr), epochs=epochs, width=width, seed=seed)
            for label, lr in lrs.items()}


def regimes_table(histories: Mapping[str, History], lrs: Mapping[str, float] = LR_REGIMES) -> pd.DataFrame:
    """One row per rate: loss before and after training, the share of it removed, and how the run ended."""
    rows = []
    for label, history in histories.items():
        start = float(history.epochs["train_loss"].iloc[0])
        final = math.nan if history.diverged else history.final("train_loss")
        rows.append({"rate": label, "lr": lrs[label], "updates made": len(history.steps),
                     "loss before": start, "loss after": final,
                     "loss removed (%)": 100 * (start - final) / start,
                     "last mini-batch loss": float(history.steps["loss"].iloc[-1]),
                     "diverged": history.diverged})
    return pd.DataFrame(rows).set_index("rate")


def catch_up_fraction(slow: History, fast: History, smooth: int = 10) -> float:
    """Share of ``slow``'s updates that ``fast`` needed to reach ``slow``'s final loss.

    Losses are mini-batch losses averaged over ``smooth`` consecutive updates. 0.05 means the
    fast run got there 20 times sooner; 1 (or more) means it never did within the run.
    """
    check_int("smooth", smooth, 1)
    slow_final = float(slow.steps["loss"].iloc[-smooth:].mean())
    fast_curve = fast.steps["loss"].rolling(smooth, min_periods=smooth).mean()
    reached = fast_curve[fast_curve <= slow_final]
    if reached.empty:
        return math.inf
    return float(fast.steps["step"].loc[reached.index[0]]) / len(slow.steps)


def plot_regimes(histories: Mapping[str, History], lrs: Mapping[str, float] = LR_REGIMES) -> Figure:
    """Mini-batch loss against update for the three rates (log scale; x marks a divergence)."""
    fig, ax = new_figure(width=7, height=3.8)
    labelled = {f"{label} (lr = {lrs[label]:g})": history for label, history in histories.items()}
    _step_loss_axes(ax, labelled)
    ax.set_title("Too small crawls, too large blows up (x: fit stopped the run)")
    ax.legend(fontsize="small")
    return fig


# ====================================================================== 3. schedules

def compare_schedules(data: Data, *, epochs: int, width: int, seed: int = 0, lr0: float = SCHEDULE_LR0,
                      names: Sequence[str] = SCHEDULE_NAMES) -> dict[str, History]:
    """Train the same model with each schedule (plain SGD, base rate ``lr0``); name -> History."""
    total = steps_per_run(len(data.train), epochs)
    schedules = standard_schedules(total)
    return {name: train_mlp(data, lr=lr0, epochs=epochs, width=width, seed=seed,
                            scheduler=schedules[check_choice("schedule", name, SCHEDULE_NAMES)])
            for name in names}


def schedules_table(histories: Mapping[str, History], lr0: float = SCHEDULE_LR0) -> pd.DataFrame:
    """Final loss and accuracy per schedule, and how far the rates `fit` used stray from the closed form."""
    rows = []
    for name, history in histories.items():
        n_steps = len(history.steps)
        schedule = standard_schedules(n_steps)[name]
        used = history.steps["lr"].to_numpy()
        closed = schedule.lr(np.arange(n_steps), lr0)
        rows.append({"schedule": name, "shape": schedule.description, **_result_row(history),
                     "max relative deviation from closed form": float(np.max(np.abs(used - closed) / closed))})
    return pd.DataFrame(rows).set_index("schedule")


def describe_schedules(table: pd.DataFrame) -> str:
    """Which schedule ended with the lowest training loss and the best test accuracy, and where
    the constant baseline ranks, worded from ``table``."""
    by_loss = table["final train loss"].rank(method="min").astype(int)
    by_accuracy = table["final test accuracy (%)"].rank(ascending=False, method="min").astype(int)
    best_loss, best_accuracy = table["final train loss"].idxmin(), table["final test accuracy (%)"].idxmax()
    spread = table["final test accuracy (%)"].max() - table["final test accuracy (%)"].min()
    return (f"Lowest final training loss: {best_loss} ({table.loc[best_loss, 'final train loss']:.3f}); "
            f"best test accuracy: {best_accuracy} ({table.loc[best_accuracy, 'final test accuracy (%)']:.1f}%).\n"
            f"The constant baseline ranks {by_loss['constant']} of {len(table)} by training loss and "
            f"{by_accuracy['constant']} of {len(table)} by test accuracy; "
            f"test accuracies span {spread:.1f} percentage points.")


def plot_schedule_runs(histories: Mapping[str, History]) -> Figure:
    """Left: the learning rate each run used at every update. Right: its smoothed training loss."""
    fig, (ax_lr, ax_loss) = new_figure(ncols=2, width=5.2, height=3.8)
    for colour, (name, history) in zip(_colours(len(histories)), histories.items()):
        ax_lr.plot(history.steps["step"], history.steps["lr"], color=colour, label=name)
    ax_lr.set(xlabel="update (step)", ylabel="learning rate", title="Learning rate used by fit")
    _step_loss_axes(ax_loss, histories, smooth=20)
    ax_loss.set_title("Training loss")
    fig.legend(*ax_lr.get_legend_handles_labels(), loc="outside lower center", ncols=len(histories), fontsize="small")
    return fig


# ====================================================================== 4. adaptive methods

def default_optimizers() -> dict[str, object]:
    """Torch's optimizers with every setting left at torch's default (label -> constructor).

    Passed to `fit` as ``optimizer=constructor`` with ``lr=None``, so nothing is overridden
    (AdamW keeps torch's default weight decay 0.01, as ``fit(optimizer="adamw")`` also does
    when ``weight_decay`` is left at ``None``).
    """
    return {
        "SGD": torch.optim.SGD,
        "SGD + momentum 0.9": functools.partial(torch.optim.SGD, momentum=0.9),
        "Adagrad": torch.optim.Adagrad,
        "RMSprop": torch.optim.RMSprop,
        "Adam": torch.optim.Adam,
        "AdamW": torch.optim.AdamW,
    }


def compare_default_optimizers(data: Data, *, epochs: int, width: int, seed: int = 0,
                               divergence_factor: float = 1e4) -> dict[str, History]:
    """Each optimizer at torch's defaults; label -> History.

    ``divergence_factor`` is lenient (10,000x the first loss; a NaN or inf still stops the
    run) because RMSprop's first updates make the loss jump by up to a few hundred times
    before it recovers, and we want to see that.
    """
    return {label: train_mlp(data, lr=None, optimizer=constructor, epochs=epochs, width=width, seed=seed,
                             divergence_factor=divergence_factor)
            for label, constructor in default_optimizers().items()}


def optimizers_table(histories: Mapping[str, History]) -> pd.DataFrame:
    """Default learning rate, final loss and accuracy, and the worst mini-batch loss per optimizer."""
    rows = [{"optimizer": label, "default lr": float(history.steps["lr"].iloc[0]), **_result_row(history),
             "worst mini-batch loss": float(history.steps["loss"].max())}
            for label, history in histories.items()]
    return pd.DataFrame(rows).set_index("optimizer")


def plot_optimizers(histories: Mapping[str, History]) -> Figure:
    """Mini-batch loss against update for every optimizer at its defaults (log scale)."""
    fig, ax = new_figure(width=7, height=3.8)
    _step_loss_axes(ax, histories)
    ax.set_title("Optimizers at torch's default settings")
    ax.legend(fontsize="small", ncols=2)
    return fig


def sweep_grid(low: float = 1e-5, high: float = 3.0, points_per_decade: int = 2) -> np.ndarray:
    """Learning rates evenly spaced on a log axis from ``low`` to ``high`` (inclusive)."""
    check_positive("low", low)
    check_positive("high", high)
    check_int("points_per_decade", points_per_decade, 1)
    if high <= low:
        raise ValueError(f"high must be > low (got low={low}, high={high})")
    exponents = np.arange(math.log10(low), math.log10(high) + 1e-9, 1.0 / points_per_decade)
    return 10.0 ** exponents


def lr_sweep(data: Data, *, lrs: Sequence[float], epochs: int, width: int, seed: int = 0,
             optimizers: Sequence[str] = ("sgd", "adam")) -> pd.DataFrame:
    """Final training loss after ``epochs`` for every optimizer and rate (NaN when it diverged)."""
    rows = []
    for name in optimizers:
        for lr in lrs:
            history = train_mlp(data, lr=float(lr), optimizer=name, epochs=epochs, width=width, seed=seed)
            rows.append({"optimizer": name, "lr": float(lr), "diverged": history.diverged,
                         "start loss": float(history.epochs["train_loss"].iloc[0]),
                         "final train loss": math.nan if history.diverged else history.final("train_loss")})
    return pd.DataFrame(rows)


def good_lr_ranges(sweep: pd.DataFrame, tolerance: float = 0.5) -> pd.DataFrame:
    """Per optimizer: its best rate, and the rates whose final loss is within ``tolerance``
    (relative) of that optimizer's best, i.e. how far one can miss the best rate and lose
    at most that much. ``width (decades)`` is ``log10(largest good lr / smallest good lr)``.
    """
    check_positive("tolerance", tolerance)
    rows = []
    for name, group in sweep.groupby("optimizer", sort=False):
        finished = group.dropna(subset=["final train loss"])
        if finished.empty:
            raise ValueError(f"every rate diverged for {name!r}: extend the sweep to smaller rates")
        best = finished.loc[finished["final train loss"].idxmin()]
        good = finished[finished["final train loss"] <= (1 + tolerance) * best["final train loss"]]
        rows.append({"optimizer": name, "best lr": best["lr"], "best loss": best["final train loss"],
                     "good lrs": len(good), "smallest good lr": good["lr"].min(), "largest good lr": good["lr"].max(),
                     "width (decades)": math.log10(good["lr"].max() / good["lr"].min()),
                     "smallest lr that diverged": group.loc[group["diverged"], "lr"].min()})
    return pd.DataFrame(rows).set_index("optimizer")


def plot_lr_sweep(sweep: pd.DataFrame, ranges: pd.DataFrame | None = None) -> Figure:
    """Final training loss against learning rate (log axis); x marks a diverged run, a band the good range."""
    fig, ax = new_figure(width=7.5, height=4)
    top = float(sweep["start loss"].max())
    groups = list(sweep.groupby("optimizer", sort=False))
    for index, (colour, (name, group)) in enumerate(zip(_colours(len(groups)), groups)):
        ax.plot(group["lr"], group["final train loss"], "o-", color=colour, label=f"{name}: final loss")
        blown = group[group["diverged"]]
        ax.plot(blown["lr"], np.full(len(blown), (1.06 + 0.07 * index) * top), "x", color=colour,
                markersize=9, mew=2, label=f"{name}: diverged")
        if ranges is not None and name in ranges.index:
            row = ranges.loc[name]
            ax.axvspan(row["smallest good lr"], row["largest good lr"], color=colour, alpha=0.12,
                       label=f"{name}: good range")
    ax.axhline(top, color="grey", linestyle=":", linewidth=1, label="loss before training")
    _log_axis(ax.xaxis, ax.set_xscale, subs=(1.0,))
    ax.set(xlabel="learning rate (log scale)", ylabel="final training loss", ylim=(0, 1.25 * top),
           title="How sensitive is each optimizer to the learning rate?")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def describe_sensitivity(ranges: pd.DataFrame, tolerance: float = 0.5) -> str:
    """Sentences, computed from ``ranges``, on where each optimizer works and how wide its range is."""
    lines = []
    for name, row in ranges.iterrows():
        lines.append(f"{name}: best lr {row['best lr']:.2g} (final loss {row['best loss']:.3f}); rates within "
                     f"{tolerance:.0%} of its best span {row['smallest good lr']:.2g} to {row['largest good lr']:.2g} "
                     f"= {row['width (decades)']:.1f} decades ({int(row['good lrs'])} grid points).")
    if len(ranges) == 2:
        (name_a, a), (name_b, b) = ranges.iterrows()
        difference = a["width (decades)"] - b["width (decades)"]
        if abs(difference) < 0.25:
            verdict = f"Both ranges are about equally wide in this run ({a['width (decades)']:.1f} vs {b['width (decades)']:.1f} decades)."
        else:
            wider, narrower = (name_a, name_b) if difference > 0 else (name_b, name_a)
            verdict = f"In this run {wider}'s good range is wider than {narrower}'s by {abs(difference):.1f} decades."
        lines.append(verdict)
        lines.append(f"Their best rates differ by a factor of {max(a['best lr'], b['best lr']) / min(a['best lr'], b['best lr']):.0f}: "
                     "a rate tuned for one optimizer does not carry over to the other.")
    return "\n".join(lines)


# ====================================================================== 5. does a large rate regularize?

def train_to_target(data: Data, *, lr: float, target_loss: float, max_epochs: int, width: int,
                    seed: int = 0) -> History:
    """Train with plain SGD until the full training loss is at most ``target_loss`` (checked
    after every epoch) or ``max_epochs`` have passed. The History ends at that epoch."""
    check_positive("target_loss", target_loss)

    def reached_target(history: History) -> bool:
        return history.final("train_loss") <= target_loss  # True ends fit after this epoch

    return train_mlp(data, lr=lr, epochs=max_epochs, width=width, seed=seed, callbacks=[reached_target])


def lr_generalization(*, n_train: int, n_test: int, seeds: Sequence[int], target_loss: float,
                      max_epochs: int, width: int,
                      lrs: Mapping[str, float] = GENERALIZATION_LRS) -> dict[tuple[str, int], History]:
    """For every seed (its own data draw and initialisation), train each rate to the same training loss.

    The largest rate goes first, to ``target_loss``. Its big steps usually overshoot the target
    within the last epoch, so the smaller rates then train to the loss it actually reached: their
    smaller per-epoch progress lands much closer to it, and the losses match tightly.
    """
    histories = {}
    by_size = sorted(lrs.items(), key=lambda item: item[1], reverse=True)
    for seed in seeds:
        data = load_data(n_train, n_test, seed=seed)
        target = target_loss
        for index, (label, lr) in enumerate(by_size):
            history = train_to_target(data, lr=lr, target_loss=target, max_epochs=max_epochs, width=width, seed=seed)
            histories[(label, seed)] = history
            if index == 0 and not history.diverged:
                target = min(target_loss, history.final("train_loss"))
    return {(label, seed): histories[(label, seed)] for seed in seeds for label in lrs}


def generalization_table(histories: Mapping[tuple[str, int], History], target_loss: float,
                         lrs: Mapping[str, float] = GENERALIZATION_LRS) -> pd.DataFrame:
    """One row per run at the epoch it reached the target: train/test loss and accuracy and the gap."""
    rows = []
    for (label, seed), history in histories.items():
        last = history.epochs.iloc[-1]
        rows.append({"seed": seed, "rate": label, "lr": lrs[label], "epochs": int(last["epoch"]),
                     "reached target": bool(last["train_loss"] <= target_loss) and not history.diverged,
                     "train loss": last["train_loss"], "train acc (%)": 100 * last["train_acc"],
                     "test loss": last["val_loss"], "test acc (%)": 100 * last["val_acc"],
                     "gap (train - test acc, pp)": 100 * (last["train_acc"] - last["val_acc"])})
    return pd.DataFrame(rows)


def equal_epoch_table(histories: Mapping[tuple[str, int], History]) -> pd.DataFrame:
    """The other way to compare: both rates after the *same number of epochs* (the number the
    large rate needed). Rows: seed and rate, with train loss, test accuracy and gap there."""
    rows = []
    seeds = sorted({seed for _, seed in histories})
    labels = list(dict.fromkeys(label for label, _ in histories))
    for seed in seeds:
        epoch = int(min(histories[(label, seed)].epochs["epoch"].iloc[-1] for label in labels))
        for label in labels:
            row = histories[(label, seed)].epochs.set_index("epoch").loc[epoch]
            rows.append({"seed": seed, "rate": label, "epoch": epoch, "train loss": row["train_loss"],
                         "test acc (%)": 100 * row["val_acc"],
                         "gap (train - test acc, pp)": 100 * (row["train_acc"] - row["val_acc"])})
    return pd.DataFrame(rows)


def loss_match_ratio(table: pd.DataFrame) -> pd.Series:
    """Per seed: largest over smallest training loss at the compared epochs (1 = perfectly matched)."""
    losses = table.groupby("seed")["train loss"]
    return losses.max() / losses.min()


def paired_difference(table: pd.DataFrame, column: str, first: str = "large", second: str = "small") -> pd.Series:
    """Per seed: ``column`` of rate ``first`` minus that of rate ``second``."""
    wide = table.pivot(index="seed", columns="rate", values=column)
    return wide[first] - wide[second]


# Two-sided 95% critical values of Student's t for 1..10 degrees of freedom (no SciPy needed).
_T_CRITICAL_95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)


def t_critical_95(degrees_of_freedom: int) -> float:
    """Two-sided 95% critical value of Student's t; beyond 10 degrees of freedom the
    approximation 1.96 + 2.4 / df (within 0.01 of the exact value)."""
    check_int("degrees_of_freedom", degrees_of_freedom, 1)
    if degrees_of_freedom <= len(_T_CRITICAL_95):
        return _T_CRITICAL_95[degrees_of_freedom - 1]
    return 1.96 + 2.4 / degrees_of_freedom


def describe_generalization(table: pd.DataFrame, lrs: Mapping[str, float] = GENERALIZATION_LRS) -> str:
    """A verdict on the article's two claims, worded from the measured paired differences
    (large minus small rate, per seed) and their 95% confidence interval."""
    test_diff = paired_difference(table, "test acc (%)")
    gap_diff = paired_difference(table, "gap (train - test acc, pp)")
    n = len(test_diff)
    mean = float(test_diff.mean())
    summary = (f"At matched training loss, large rate (lr = {lrs['large']:g}) minus small rate "
               f"(lr = {lrs['small']:g}), over {n} seed(s): test accuracy {mean:+.2f} pp on average "
               f"(large rate better in {int((test_diff > 0).sum())} of {n}); "
               f"generalization gap {float(gap_diff.mean()):+.2f} pp.")
    if n < 2:
        return summary + "\nOne seed cannot separate a difference from noise: run more seeds."
    half_width = t_critical_95(n - 1) * float(test_diff.std(ddof=1)) / math.sqrt(n)
    low, high = mean - half_width, mean + half_width
    interval = f"95% confidence interval of the test-accuracy difference: [{low:+.2f}, {high:+.2f}] pp."
    if low > 0:
        verdict = "Measured: the large rate generalized better, as the article claims."
    elif high < 0:
        verdict = "Measured: the small rate generalized better, the opposite of the article's claim."
    else:
        verdict = ("Measured: the interval contains 0, so this run does not detect an effect of the rate on "
                   "test accuracy at equal training loss: it supports neither 'a small rate overfits' nor "
                   "'a large rate regularizes' (which is not proof that there is no effect).")
    return "\n".join([summary, interval, verdict])


def describe_equal_epochs(table: pd.DataFrame) -> str:
    """What the comparison at an equal number of epochs shows, worded from ``equal_epoch_table``."""
    means = table.groupby("rate")[["train loss", "test acc (%)", "gap (train - test acc, pp)"]].mean()
    small, large = means.loc["small"], means.loc["large"]
    smaller_gap = "small" if small["gap (train - test acc, pp)"] < large["gap (train - test acc, pp)"] else "large"
    return (f"After the same number of epochs (the number the large rate needed), averaged over seeds: "
            f"small rate train loss {small['train loss']:.3f}, test accuracy {small['test acc (%)']:.1f}%, gap "
            f"{small['gap (train - test acc, pp)']:.1f} pp; large rate train loss {large['train loss']:.3f}, "
            f"test accuracy {large['test acc (%)']:.1f}%, gap {large['gap (train - test acc, pp)']:.1f} pp.\n"
            f"The {smaller_gap} rate has the smaller gap here"
            + (": it has simply fitted less, which is underfitting, not a cure for overfitting."
               if smaller_gap == "small" and small["train loss"] > large["train loss"] else "."))


def plot_generalization(histories: Mapping[tuple[str, int], History], target_loss: float,
                        lrs: Mapping[str, float] = GENERALIZATION_LRS) -> Figure:
    """Test accuracy against training loss, epoch by epoch, for every run: the x axis runs from
    high to low training loss, so each curve reads left to right as training goes on."""
    fig, ax = new_figure(width=7, height=4)
    labels = list(dict.fromkeys(label for label, _ in histories))
    colours = dict(zip(labels, _colours(len(labels))))
    seen = set()
    for (label, seed), history in histories.items():
        epochs = history.epochs.iloc[1:]  # epoch 0 is the untrained model
        name = None if label in seen else f"{label} lr = {lrs[label]:g}"
        seen.add(label)
        ax.plot(epochs["train_loss"], 100 * epochs["val_acc"], ".", color=colours[label], alpha=0.5, label=name)
        ax.plot(epochs["train_loss"].iloc[-1], 100 * epochs["val_acc"].iloc[-1], "o", color=colours[label],
                markersize=8, markeredgecolor="black")
    ax.axvline(target_loss, color="grey", linestyle="--", linewidth=1, label=f"target loss {target_loss:g}")
    _log_axis(ax.xaxis, ax.set_xscale)
    ax.invert_xaxis()
    ax.set(xlabel="training loss (log scale, decreasing to the right)", ylabel="test accuracy (%)",
           title="Test accuracy at each training loss (ringed: stop)")
    ax.legend(fontsize="small")
    return fig


# ====================================================================== 6. slider panel

def explore_learning_rate(lr: float = 0.1, schedule: str = "constant", optimizer: str = "sgd",
                          epochs: int = 3, n_train: int = 2000, width: int = 64, seed: int = 0,
                          live: bool = False) -> Figure:
    """Train a small MLP and draw its loss and learning rate against the update.

    ``live=True`` (the slider panel) shows a progress bar and redraws the curves after
    every epoch while training runs.
    """
    check_positive("lr", lr)
    check_choice("schedule", schedule, SCHEDULE_NAMES)
    data = load_data(n_train, 2000, seed=seed)
    scheduler = make_schedule(schedule, steps_per_run(n_train, epochs))
    redraw = _LiveFigure(lambda history: _learning_rate_figure(history, lr, schedule, optimizer)) if live else None
    history = train_mlp(data, lr=lr, optimizer=optimizer, scheduler=scheduler, epochs=epochs, width=width,
                        seed=seed, progress=live, callbacks=[redraw] if live else ())
    if redraw is not None:
        redraw.close()
    return _learning_rate_figure(history, lr, schedule, optimizer)


def _learning_rate_figure(history: History, lr: float, schedule: str, optimizer: str) -> Figure:
    fig, (ax_loss, ax_lr) = new_figure(ncols=2, width=4.8, height=3.4)
    _step_loss_axes(ax_loss, {"": history}, smooth=10)
    ax_loss.set_title("Training loss")
    ax_lr.plot(history.steps["step"], history.steps["lr"], color="C1")
    ax_lr.set(xlabel="update (step)", ylabel="learning rate", title=f"Learning rate ({schedule})")
    status = history.message if history.diverged else (
        f"epoch {int(history.epochs['epoch'].iloc[-1])}: test accuracy {100 * history.final('val_acc'):.1f}%")
    fig.suptitle(f"{optimizer}, lr0 = {lr:.2g}, {schedule}. {status}", fontsize="medium")  # as the slider writes it
    return fig


class _LiveFigure:
    """A `fit` callback that redraws a figure in its own output area after every epoch."""

    def __init__(self, draw):
        import ipywidgets as widgets
        from IPython.display import display

        self.draw, self.output = draw, widgets.Output()
        display(self.output)

    def __call__(self, history: History) -> None:
        from IPython.display import display

        with self.output:
            self.output.clear_output(wait=True)
            display(self.draw(history))

    def close(self) -> None:
        self.output.close()  # the final figure replaces the live one


def learning_rate_panel(n_train: int = 2000, epochs: int = 3):
    """The classroom panel: rate, schedule and optimizer, then Run (trains live).

    ``n_train`` and ``epochs`` are checked here, so that every schedule the drop-down offers
    can be built (some need 10 updates or more), rather than failing after a Run.
    """
    from ipywidgets import fixed

    from .widgets import choice, log_slider, slider_panel

    updates = steps_per_run(n_train, epochs)
    if updates < 10:
        raise ValueError(f"n_train={n_train} and epochs={epochs} give {updates} updates of {BATCH_SIZE} images; "
                         "the schedules need at least 10: raise n_train or epochs")

    return slider_panel(explore_learning_rate, manual=True,
                        lr=log_slider("learning rate", 0.1, 1e-4, 10.0),
                        schedule=choice("schedule", SCHEDULE_NAMES),
                        optimizer=choice("optimizer", [("SGD", "sgd"), ("Adam", "adam"), ("RMSprop", "rmsprop"),
                                                       ("Adagrad", "adagrad"), ("AdamW", "adamw")]),
                        epochs=fixed(epochs), n_train=fixed(n_train), width=fixed(64), seed=fixed(0),
                        live=fixed(True))


# ====================================================================== exercises

EXERCISES = {
    "largest_stable_lr": numeric(
        "Gradient descent on f(x) = L/2 x² with curvature L = 4. What is the largest learning rate "
        "for which the iterates still shrink towards 0 (the boundary value)?",
        0.5, rel_tol=0.02,
        hint_low="Below that value the iterates still shrink. Write one step as x <- (1 - lr L) x: "
                 "when does |1 - lr L| reach 1?",
        hint_high="At that rate |1 - lr L| is already above 1, so |x| grows. Solve |1 - lr L| = 1 for lr.",
        explanation="|1 - lr L| < 1 means 0 < lr < 2/L = 0.5. At exactly 0.5 the iterate bounces between "
                    "+x0 and -x0 forever; any larger rate diverges.",
    ),
    "which_regime": multiple_choice(
        "Same quadratic, now with L = 10 and lr = 0.15. What do the iterates do?",
        {"a": "shrink towards 0 without changing sign",
         "b": "flip sign every step while shrinking",
         "c": "flip sign every step while growing",
         "d": "jump to 0 in one step"},
        correct="b",
        hints={"a": "Compute lr x L. Is it below 1?",
               "c": "Compute 1 - lr L: is its size above 1?",
               "d": "That needs lr = 1/L exactly. Compare 0.15 with 1/10."},
        explanation="lr x L = 1.5 lies between 1 and 2: the factor 1 - lr L = -0.5 flips the sign and halves "
                    "the size at every step.",
    ),
    "time_based_decay": numeric(
        "A time-based decay lr(t) = lr0 / (1 + k t) with lr0 = 0.1 and k = 0.02. "
        "What is the learning rate after t = 200 updates?",
        0.02, rel_tol=0.01,
        hint_low="Too small: did you use an exponential (gamma^t) instead of 1/(1 + k t)?",
        hint_high="Too large: compute k t first, add 1, then divide lr0 by the result.",
        explanation="0.1 / (1 + 0.02 x 200) = 0.1 / 5 = 0.02. Time-based decay halves the rate after "
                    "1/k = 50 updates, then falls ever more slowly (like 1/t).",
    ),
    "sgd_default": multiple_choice(
        "In the comparison at torch's defaults, plain SGD lagged far behind Adam. What is the best explanation?",
        {"a": "SGD cannot train multi-layer networks; adaptive methods are needed",
         "b": "torch's default rate for SGD (1e-3) is far below the rates that work for plain SGD on this "
              "model, while the same number suits Adam",
         "c": "SGD needs more training data than Adam",
         "d": "the run diverged"},
        correct="b",
        hints={"a": "Look at the sweep: does SGD reach a low loss at some rate?",
               "c": "Both optimizers saw exactly the same data.",
               "d": "Check the table's diverged column for SGD."},
        explanation="Look at the sweep: SGD's good rates lie far above torch's default of 1e-3. A 'default' "
                    "rate is only a starting point; for plain SGD it must be tuned.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def time_based_factor(step: int, k: float) -> float:
    """What ``LambdaLR`` multiplies ``lr0`` by at ``step`` for time-based decay ``lr0 / (1 + k t)``."""
    return 1.0 / (1.0 + k * step)


def _time_based_cases() -> list[tuple[int, float]]:
    rng = np.random.default_rng()
    fixed = [(0, 0.01), (1, 0.01), (100, 0.01), (0, 2.0), (7, 0.5), (10_000, 1e-4)]
    steps, ks = rng.integers(0, 5_000, size=8), rng.uniform(1e-4, 0.1, size=8)
    return fixed + [(int(s), float(k)) for s, k in zip(steps, ks, strict=True)]


EXERCISES["time_based_lambda"] = function_exercise(
    "Write `time_based_factor(step, k)`, the function that `torch.optim.lr_scheduler.LambdaLR` needs for "
    "time-based decay, `lr_t = lr0 / (1 + k t)`. LambdaLR calls it with the number of optimizer steps "
    "taken so far (0 before the first step) and multiplies the optimizer's initial rate `lr0` by what it "
    "returns. Then `LambdaLR(optimizer, lambda step: time_based_factor(step, k))` is the schedule.",
    time_based_factor, _time_based_cases,
    mistakes=[
        (lambda step, k: 1.0 / (1.0 + k * (step + 1)),
         "Off by one step: the first step (step 0) must use the full rate lr0, so the factor at step 0 is 1."),
        (lambda step, k: (1.0 + k) ** -step,
         "You divided by (1 + k) at every step: that compounds, which is exponential decay. Time-based decay "
         "divides lr0 once, by 1 + k t, so it falls much more slowly."),
        (lambda step, k: 1.0 - k * step,
         "That is a linear decay, which reaches 0 and then turns negative. Time-based decay divides: "
         "lr0 / (1 + k t)."),
    ],
    explanation="`1 / (1 + k * step)`: LambdaLR multiplies lr0 by it, so the rate halves after 1/k steps "
                "and keeps falling like 1/t. `course_utils.schedules.time_based_decay(k)` builds exactly this.",
)
