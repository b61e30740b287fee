"""Lesson 02's "try it" pictures (`explore_*`) and their slider panels (`*_panel`)."""
from __future__ import annotations

from matplotlib.figure import Figure

from ..validation import check_int
from .decomposition import N_TRAIN, NOISE, ResampledFits
from .figures import COLOURS, plot_fits
from .networks import network_fits
from .polynomials import polynomial_fits


def _terms(fits: ResampledFits) -> str:
    parts = fits.parts
    return f"bias² = {parts.bias2:.3g}   variance = {parts.variance:.3g}   noise = {parts.noise:.3g}"


def explore_polynomial_fits(degree: int = 3, n_train: int = N_TRAIN, noise: float = NOISE,
                            n_resamples: int = 40, seed: int = 0) -> Figure:
    """Slider: ``n_resamples`` polynomial fits, each to its own noisy training set, drawn at
    once (faint), with their mean (bold) and the true function (dashed). The spread of the
    faint lines is the variance; the gap between bold and dashed is the bias."""
    check_int("degree", degree, 0, 30)
    fits = polynomial_fits(degree, n_train, noise, n_resamples, seed)
    return plot_fits(fits, f"Degree {degree}, n = {n_train}, noise σ = {noise:.2f}: {n_resamples} fits\n"
                           f"{_terms(fits)}", colour=COLOURS["variance"])


def explore_network_fits(width: int = 8, epochs: int = 300, n_train: int = N_TRAIN, noise: float = NOISE,
                         n_resamples: int = 10, seed: int = 0) -> Figure:
    """Slider: the same picture as `explore_polynomial_fits` for 1-D MLPs of one ``width``."""
    fits = network_fits(width, epochs, n_train, noise, n_resamples, seed)
    return plot_fits(fits, f"MLP width {width}, {epochs} epochs, n = {n_train}: {n_resamples} networks\n"
                           f"{_terms(fits)}", colour=COLOURS["bias2"])


def explore_polynomial_fits_panel():
    """The slider panel for `explore_polynomial_fits` (fast: redraws on release)."""
    from ipywidgets import fixed

    from ..widgets import float_slider, int_slider, slider_panel

    return slider_panel(explore_polynomial_fits, degree=int_slider("degree", 3, 0, 15),
                        n_train=int_slider("training samples n", N_TRAIN, 5, 200, 5),
                        noise=float_slider("noise σ", NOISE, 0.0, 1.0, 0.05), n_resamples=fixed(40), seed=fixed(0))


def explore_network_fits_panel():
    """The slider panel for `explore_network_fits` (trains networks: a Run button)."""
    from ipywidgets import fixed

    from ..widgets import int_slider, slider_panel

    return slider_panel(explore_network_fits, manual=True, width=int_slider("width (hidden units)", 8, 1, 256),
                        epochs=int_slider("epochs (full batch)", 300, 50, 3000, 50),
                        n_train=int_slider("training samples n", N_TRAIN, 5, 200, 5),
                        noise=fixed(NOISE), n_resamples=fixed(10), seed=fixed(0))
