"""Throughput of `fit` against three other training loops, measured side by side in one run.

All four train the same MLP (784-256-256-10, SGD, lr 0.1) on the same 20,000 Fashion-MNIST
images for the same number of samples, at batch 128 and at batch 512:

- bare loop: the images sit in memory as one normalized tensor; a mini-batch is a slice of a
  random permutation; forward, backward, step. Nothing else.
- in-memory DataLoader: ``DataLoader(TensorDataset(x, y), shuffle=True)`` over the same tensors.
- torchvision DataLoader: the dataset read through ``ToTensor`` + ``Normalize`` per image, the
  textbook loop.
- `fit`, in its default settings, timed end to end: its evaluations (the untrained model and
  every epoch's end, each on a fixed subset of 2,048 training images) and its bookkeeping
  count against it.

Each loop runs five times, the four loops taking turns, and keeps its fastest time (other
programs can only slow a run down). The
share of the machine is each loop's arithmetic rate (about 6 x parameters floating-point
operations per sample: forward, backward for the inputs and for the weights) over the rate of
one large float32 matrix product measured in the same run. Run: ``python
benchmarks/benchmark_fit.py`` (or ``make benchmark``); ``COURSE_DATA_DIR`` points at the data.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset
from torchvision import datasets, transforms

from course_utils import count_parameters, fit, mlp, seed_everything
from course_utils.config import synchronize
from course_utils.data import PIXEL_MEAN, PIXEL_STD, Split, data_dir, fashion_mnist


def train_batches(model: nn.Module, batches, epochs: int) -> None:
    """The textbook loop over any iterable of (x, y) batches (re-iterated every epoch)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for x, y in batches():
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


def bare(train: Split, batch_size: int, epochs: int) -> Callable[[nn.Module], None]:
    def run(model: nn.Module) -> None:
        generator = torch.Generator().manual_seed(0)

        def batches():
            order = torch.randperm(len(train), generator=generator)
            return ((train.x[order[i:i + batch_size]], train.y[order[i:i + batch_size]])
                    for i in range(0, len(train), batch_size))

        train_batches(model, batches, epochs)
    return run


def in_memory_loader(train: Split, batch_size: int, epochs: int) -> Callable[[nn.Module], None]:
    loader = DataLoader(TensorDataset(train.x, train.y), batch_size=batch_size, shuffle=True)
    return lambda model: train_batches(model, lambda: loader, epochs)


def torchvision_loader(indices: list[int], batch_size: int, epochs: int) -> Callable[[nn.Module], None]:
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((PIXEL_MEAN,), (PIXEL_STD,))])
    dataset = Subset(datasets.FashionMNIST(str(data_dir()), train=True, transform=transform), indices)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
    return lambda model: train_batches(model, lambda: loader, epochs)


def course_fit(train: Split, batch_size: int, epochs: int) -> Callable[[nn.Module], None]:
    return lambda model: fit(model, train, epochs=epochs, lr=0.1, batch_size=batch_size, progress=False)


def seconds(run: Callable[[nn.Module], None]) -> float:
    """Wall-clock seconds of one run on a fresh, identically initialised model."""
    seed_everything(0)
    model = mlp(256, 2)
    start = time.perf_counter()
    run(model)
    synchronize("cpu")
    return time.perf_counter() - start


def best_seconds(loops: dict[str, Callable[[nn.Module], None]], rounds: int) -> dict[str, float]:
    """Each loop's fastest of ``rounds`` runs, the loops taking turns within each round, so that a
    moment when another program holds the CPU slows one run of one loop, not all of its runs."""
    times: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(rounds):
        for name, run in loops.items():
            times[name].append(seconds(run))
    return {name: min(values) for name, values in times.items()}


def matmul_flops(size: int = 2048, repeats: int = 5, rounds: int = 3) -> float:
    """Floating-point operations per second of a large float32 matrix product (best of ``rounds``)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm-up
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = max(best, 2 * size ** 3 * repeats / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each loop (the fastest counts)")
    args = parser.parse_args()

    data = fashion_mnist(n_train=args.samples, device="cpu", seed=0)
    # The same images for every loop: recover fit's subset indices from the same seeded draw.
    indices = torch.randperm(60_000, generator=torch.Generator().manual_seed(0))[:args.samples].tolist()
    labels = datasets.FashionMNIST(str(data_dir()), train=True).targets[indices]
    assert torch.equal(labels, data.train.y), "the loops would not see the same images"
    total = args.samples * args.epochs
    flops_per_sample = 6 * count_parameters(mlp(256, 2))
    machine = matmul_flops()
    print(f"{total:,} samples ({args.epochs} epochs of {args.samples:,}), torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads; matmul {machine / 1e9:.1f} GFLOP/s")
    seconds(course_fit(data.train, 128, 1))  # warm-up: first calls allocate
    for batch_size in args.batch_sizes:
        loops = {
            "bare loop (slices of tensors)": bare(data.train, batch_size, args.epochs),
            "DataLoader, in-memory tensors": in_memory_loader(data.train, batch_size, args.epochs),
            "DataLoader, torchvision ToTensor": torchvision_loader(indices, batch_size, args.epochs),
            "fit (default settings)": course_fit(data.train, batch_size, args.epochs),
        }
        rates = {name: total / best for name, best in best_seconds(loops, args.rounds).items()}
        fit_rate = rates["fit (default settings)"]
        print(f"\nbatch {batch_size}:  {'loop':34s} {'samples/s':>10s} {'fit / this':>10s} {'machine':>8s}")
        for name, rate in rates.items():
            share = rate * flops_per_sample / machine
            print(f"           {name:34s} {rate:10,.0f} {fit_rate / rate:10.2f} {share:8.0%}")


if __name__ == "__main__":
    main()
