"""Device safety where a CPU can check it: no float64 on an accelerator, synchronized clocks.

Apple's MPS has no float64, and CUDA and MPS run asynchronously. The audit in the README's
contributor section lists every place; these tests keep it true as the code changes.
"""
from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from pathlib import Path

import torch
from torch import nn

from course_utils.config import synchronize
from course_utils.data import Split
from course_utils.gradients import per_sample_gradient_variance

ROOT = Path(__file__).resolve().parent.parent
FLOAT64 = re.compile(r"\.double\(\)|float64")


def strip_strings(source: str) -> list[str]:
    """The source's lines with string literals blanked out (docstrings mention float64 freely)."""
    lines = source.splitlines()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return lines
    for token in reversed(tokens):
        if token.type == tokenize.STRING and token.start[0] == token.end[0]:
            row, (begin, end) = token.start[0] - 1, (token.start[1], token.end[1])
            lines[row] = lines[row][:begin] + '""' + lines[row][end:]
        elif token.type == tokenize.STRING:
            for row in range(token.start[0] - 1, token.end[0]):
                lines[row] = ""
    return lines


def code_lines() -> list[tuple[str, int, str, str]]:
    """(file, line number, code without strings, the line and the three before it) for package and notebooks."""
    paths = sorted((ROOT / "course_utils").rglob("*.py"))
    sources = [(str(path.relative_to(ROOT)), path.read_text()) for path in paths]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        sources += [(path.name, "".join(cell["source"])) for cell in json.loads(path.read_text())["cells"]
                    if cell["cell_type"] == "code"]
    found = []
    for name, source in sources:
        raw, code = source.splitlines(), strip_strings(source)
        found += [(name, i + 1, code[i], " ".join(raw[max(i - 3, 0):i + 1])) for i in range(len(raw))]
    return found


def float64_offenders(lines) -> list[str]:
    """Lines that make float64 tensors without moving to the CPU first or a comment saying they are on it."""
    offenders = []
    for name, number, line, context in lines:
        code = line.split("#")[0]
        if not FLOAT64.search(code) or "np.float64" in code or "astype" in code:
            continue  # NumPy arrays live on the CPU
        moved = ".double()" in code and ".cpu()" in code and code.index(".cpu()") < code.index(".double()")
        if not (moved or "CPU" in context):
            offenders.append(f"{name}:{number}: {line.strip()}")
    return offenders


def test_float64_only_on_the_cpu():
    """Each float64 use either moves to the CPU first or says (in a comment) why it is on the CPU already."""
    offenders = float64_offenders(code_lines())
    assert not offenders, "float64 that may land on an MPS device:\n" + "\n".join(offenders)


def test_the_audit_catches_a_float64_on_the_device():
    """The check above is not vacuous: a bare `.double()` is flagged, a docstring or `.cpu().double()` is not."""
    source = 'def f(grads):\n    """Sums in float64."""\n    return grads.double() + grads.cpu().double()\n'
    pairs = zip(strip_strings(source), source.splitlines(), strict=False)
    lines = [("f.py", i + 1, code, raw) for i, (code, raw) in enumerate(pairs)]
    assert [entry.split(":")[1] for entry in float64_offenders(lines)] == ["3"]
    assert float64_offenders([("f.py", 1, "x = grads.cpu().double()", "x = grads.cpu().double()")]) == []


def test_per_sample_gradient_variance_matches_an_explicit_loop():
    """The float64 sums now run on the CPU; the result equals a per-example loop in float64."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 5))
    train = Split(torch.randn(40, 1, 3, 4), torch.randint(0, 5, (40,)))
    trace_sigma, mean_sq = per_sample_gradient_variance(model, train, chunk=16)
    grads = []
    for x, y in zip(train.x, train.y, strict=False):
        model.zero_grad()
        nn.functional.cross_entropy(model(x.unsqueeze(0)), y.unsqueeze(0)).backward()
        grads.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]).double())
    grads = torch.stack(grads)
    mean = grads.mean(0)
    assert abs(mean_sq - float(mean @ mean)) < 1e-5 * float(mean @ mean)  # float32 gradients
    expected_trace = float(((grads - mean) ** 2).sum(1).mean())
    assert abs(trace_sigma - expected_trace) < 1e-5 * expected_trace


def test_synchronize_on_the_cpu_is_a_no_op():
    synchronize("cpu")
    synchronize(torch.device("cpu"))


def test_every_clock_around_device_work_is_synchronized():
    """Where the package or a benchmark reads perf_counter around training, it synchronizes or syncs by .item()."""
    # fit's clock (fit_parts.Clock) and the benchmark; training.py itself reads no clock.
    assert "perf_counter" not in (ROOT / "course_utils" / "training.py").read_text()
    for path in [ROOT / "course_utils" / "fit_parts.py", ROOT / "benchmarks" / "benchmark_fit.py"]:
        tree = ast.parse(path.read_text())
        names = {node.attr if isinstance(node, ast.Attribute) else node.id
                 for node in ast.walk(tree) if isinstance(node, (ast.Attribute, ast.Name))}
        assert "synchronize" in names, f"{path.name} reads the clock around device work without synchronize"
