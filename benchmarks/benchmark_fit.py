"""Throughput of `fit` against a plain DataLoader training loop, measured side by side.

Both train the same MLP (784-256-256-10, SGD, lr 0.1, batch 128) on the same Fashion-MNIST
images for the same number of samples:

- `fit`: the images sit in memory as one normalized tensor; a mini-batch is a slice.
- DataLoader loop: torchvision's dataset with the usual ``ToTensor`` + ``Normalize``
  transform, a ``DataLoader(batch_size=128, shuffle=True)``, and the textbook loop.

`fit` is timed end to end, including the evaluation passes it makes after each epoch, so
the comparison does not flatter it. Run: ``python benchmarks/benchmark_fit.py`` (or
``make benchmark``); ``COURSE_DATA_DIR`` points at the data as for the lessons.
"""
from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from course_utils import fit, mlp, seed_everything
from course_utils.data import PIXEL_MEAN, PIXEL_STD, Split, data_dir, fashion_mnist


def time_fit(train: Split, epochs: int, batch_size: int) -> float:
    seed_everything(0)
    model = mlp(256, 2)
    start = time.perf_counter()
    fit(model, train, epochs=epochs, lr=0.1, batch_size=batch_size, progress=False)
    return time.perf_counter() - start


def time_dataloader(indices: list[int], epochs: int, batch_size: int, workers: int) -> float:
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((PIXEL_MEAN,), (PIXEL_STD,))])
    dataset = Subset(datasets.FashionMNIST(str(data_dir()), train=True, transform=transform), indices)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers)
    seed_everything(0)
    model = mlp(256, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="DataLoader num_workers to try")
    args = parser.parse_args()

    data = fashion_mnist(n_train=args.samples, device="cpu", seed=0)
    # The same images for both loops: recover fit's subset indices from the same seeded draw.
    indices = torch.randperm(60_000, generator=torch.Generator().manual_seed(0))[:args.samples].tolist()
    labels = datasets.FashionMNIST(str(data_dir()), train=True).targets[indices]
    assert torch.equal(labels, data.train.y), "the two loops would not see the same images"
    total = args.samples * args.epochs
    print(f"{total:,} samples ({args.epochs} epochs of {args.samples:,}), batch {args.batch_size}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")

    time_fit(data.train, 1, args.batch_size)  # warm-up: first calls allocate and compile kernels
    fit_seconds = time_fit(data.train, args.epochs, args.batch_size)
    fit_rate = total / fit_seconds
    print(f"  fit (in-memory tensors)           {fit_seconds:7.2f} s  {fit_rate:9,.0f} samples/s")
    for workers in args.workers:
        seconds = time_dataloader(indices, args.epochs, args.batch_size, workers)
        rate = total / seconds
        print(f"  DataLoader loop, num_workers={workers}   {seconds:7.2f} s  {rate:9,.0f} samples/s"
              f"   fit is {fit_rate / rate:.1f}x faster")


if __name__ == "__main__":
    main()
