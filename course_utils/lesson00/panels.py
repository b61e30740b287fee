"""Lesson 00's slider: `show_class` (a plain function) and `show_class_panel`, its panel."""
from __future__ import annotations

import torch
from matplotlib.figure import Figure

from ..data import CLASS_NAMES, Split, fashion_mnist
from ..plots import show_images
from ..validation import check_choice, check_int
from ..widgets import choice, int_slider, slider_panel


def show_class(class_name: str = "Sneaker", n_images: int = 16, seed: int = 0) -> Figure:
    """``n_images`` test images of one class, picked at random from ``seed``."""
    check_choice("class_name", class_name.lower(), [name.lower() for name in CLASS_NAMES])
    check_int("n_images", n_images, 1, 64)
    label = [name.lower() for name in CLASS_NAMES].index(class_name.lower())
    test = fashion_mnist(n_train=1, n_test=None, seed=seed, device="cpu").test
    images = test.x[test.y == label]
    chosen = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n_images]
    # Every image has the same label: say it once, above the grid, not over each image.
    return show_images(Split(images[chosen], torch.full((len(chosen),), label)), n=n_images, labels=False,
                       title=f"{len(chosen)} test images of the class {CLASS_NAMES[label]} (random pick {seed})")


def show_class_panel():
    """Slider panel for `show_class`: pick a class and how many images to see."""
    return slider_panel(show_class, class_name=choice("class", CLASS_NAMES, "Sneaker"),
                        n_images=int_slider("images", 16, 4, 48, 4), seed=int_slider("random pick", 0, 0, 9))
