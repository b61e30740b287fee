"""Lesson 03's figures: the capacity sweep, the learning curves of three fits, the label-noise run."""
from __future__ import annotations

from matplotlib.figure import Figure

from ..plots import new_figure, plot_history
from .experiments import PERCENT, SweepResult
from .label_noise import NoiseResult


def plot_capacity_sweep(result: SweepResult, *, title: str = "") -> Figure:
    """Training and test accuracy against the number of parameters, the gap shaded."""
    table = result.table
    fig, ax = new_figure(width=6.5, height=4.0)
    params = table["parameters"]
    ax.plot(params, PERCENT * table["train_acc"], "o-", label="training accuracy")
    ax.plot(params, PERCENT * table["test_acc"], "s--", label="test accuracy")
    ax.fill_between(params, PERCENT * table["test_acc"], PERCENT * table["train_acc"],
                    alpha=0.15, color="grey", label="gap (training - test)")
    for _, row in table.iterrows():
        ax.annotate(f"{int(row.width)}", (row.parameters, PERCENT * row.train_acc),
                    textcoords="offset points", xytext=(0, 6), ha="center", fontsize="x-small")
    ax.set_xscale("log")
    ax.set(xlabel="number of parameters (log scale; labels: hidden units)", ylabel="accuracy (%)",
           ylim=(0, 105), title=title or "Capacity sweep: accuracy after the last epoch")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_fits(result: SweepResult, fits: dict[str, int]) -> Figure:
    """Learning curves (`plots.plot_history`) of the models chosen by `pick_fits`."""
    histories = {f"{kind} ({width} units)": result.histories[width] for kind, width in fits.items()}
    fig = plot_history(histories, title="Learning curves: training (solid) and validation (dashed)")
    # Six legend entries hide the curves: move the legend beside the plots.
    ax_acc = fig.axes[1]
    handles, labels = ax_acc.get_legend_handles_labels()
    ax_acc.get_legend().remove()
    fig.legend(handles, labels, loc="outside right center", fontsize="small")
    fig.set_figwidth(fig.get_figwidth() + 2.5)
    return fig


def plot_label_noise(result: NoiseResult) -> Figure:
    """Left: accuracies per epoch, best-validation epoch marked. Right: what is being fitted."""
    frame = result.epochs
    fig, (ax_acc, ax_fit) = new_figure(ncols=2, width=5.5, height=4.2)
    ax_acc.plot(frame["epoch"], PERCENT * frame["train_acc"], label="training (noisy labels)")
    ax_acc.plot(frame["epoch"], PERCENT * frame["val_acc"], "--", label="validation (clean labels)")
    ax_acc.plot(frame["epoch"], PERCENT * frame["test_acc"], ":", linewidth=2.2, label="test (clean labels)")
    ax_acc.axhline(PERCENT * (1 - result.label_noise), color="grey", linewidth=0.8,
                   label=f"share of correct training labels ({PERCENT * (1 - result.label_noise):.0f}%)")
    best, last = result.at_best, result.last
    ax_acc.axvline(result.best_epoch, color="black", linewidth=0.8)
    ax_acc.plot(result.best_epoch, PERCENT * best.test_acc, "*", color="black", markersize=12,
                label=f"test at best validation epoch ({result.best_epoch}): {PERCENT * best.test_acc:.1f}%")
    ax_acc.plot(last.epoch, PERCENT * last.test_acc, "o", color="black",
                label=f"test at last epoch ({int(last.epoch)}): {PERCENT * last.test_acc:.1f}%")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 105),
               title=f"{PERCENT * result.label_noise:.0f}% of training labels wrong")
    ax_acc.legend(loc="lower right", fontsize="x-small")

    ax_fit.plot(frame["epoch"], PERCENT * frame["clean_fit"], label="clean images: predicted = true label")
    ax_fit.plot(frame["epoch"], PERCENT * frame["noise_memorized"], "--",
                label="relabelled images: predicted = wrong label")
    ax_fit.axvline(result.best_epoch, color="black", linewidth=0.8, label="best validation epoch")
    ax_fit.set(xlabel="epoch", ylabel="share of training images (%)", ylim=(0, 105),
               title="Clean labels are learned first, noise later")
    ax_fit.legend(loc="lower right", fontsize="x-small")
    return fig
