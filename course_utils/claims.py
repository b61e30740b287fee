"""Claims: what a lesson says, checked on what the learner's own run measured.

A lesson computes each claim with a plain function of the run's results that returns a
`Claim`; the notebook calls ``claim.check()`` (an ``assert`` that explains itself) and the
tests and the seed harness call the same function. A `Claim` carries a *margin* in the
claim's own units: positive when the claim holds, and how far from failing it was, so
that ``make claims`` can report the tightest case over many seeds.

``kind="check"`` marks a statement that holds by construction or cannot fail in practice
(an identity, a sanity bound): it is still asserted, but not called a finding.

The harness: ``python -m course_utils.claims --lessons 07 --seeds 20 --profiles smoke laptop``
imports ``course_utils.lessonNN.claims`` and calls its ``run(seed, profile)``, which
returns the lesson's claims for one seed; it writes every run and a summary (pass rate and
smallest margin per claim and profile) as CSV files to ``claims/``, then gathers every
summary in that folder into one table, ``claims/README.md`` (``--table-only`` rebuilds it
without running anything).
"""
from __future__ import annotations

import argparse
import importlib
import math
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


class ClaimFailed(AssertionError):
    """A lesson's claim did not hold on this run; the message says what to do."""


@dataclass(frozen=True)
class Claim:
    """One statement, what it expects, what the run measured, and the margin (> 0: holds)."""

    name: str
    statement: str
    expected: str
    measured: str
    margin: float
    kind: str = "claim"

    @property
    def holds(self) -> bool:
        return bool(math.isfinite(self.margin) and self.margin > 0)

    def check(self) -> Claim:
        """Raise `ClaimFailed` (an AssertionError) unless the claim holds; return self."""
        if not self.holds:
            raise ClaimFailed(
                f"The run did not confirm this {self.kind}: {self.statement}\n"
                f"Expected: {self.expected}\nMeasured: {self.measured}\n"
                "What to do: rerun the lesson from the top (Kernel > Restart and Run All); if it fails again "
                "with another seed too, your machine found a case the course did not anticipate: please "
                "report it with this message and the output of `environment_report()`."
            )
        return self

    def __repr__(self) -> str:
        mark = "holds" if self.holds else "FAILS"
        return f"{self.kind.capitalize()} {mark}: {self.statement} Measured: {self.measured}."

    def _repr_markdown_(self) -> str:
        mark = "✅" if self.holds else "❌"
        return f"{mark} **{self.kind.capitalize()}:** {self.statement} *Measured:* {self.measured}."


def check_all(claims: list[Claim]) -> pd.DataFrame:
    """Check every claim (raising on the first that fails) and return them as a table."""
    for claim in claims:
        claim.check()
    return claims_table(claims)


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """The claims as a table: name, kind, statement, measured, margin."""
    return pd.DataFrame([{"claim": c.name, "kind": c.kind, "statement": c.statement, "measured": c.measured,
                          "margin": c.margin, "holds": c.holds} for c in claims])


def run_many(lesson: str, seeds: list[int], profiles: list[str]) -> pd.DataFrame:
    """Every claim of ``lesson`` for each seed and profile: one row per (profile, seed, claim)."""
    module = importlib.import_module(f"course_utils.lesson{lesson}.claims")
    rows = []
    for profile in profiles:
        for seed in seeds:
            start = time.perf_counter()
            claims = module.run(seed=seed, profile=profile)
            seconds = time.perf_counter() - start
            rows += [{"lesson": lesson, "profile": profile, "seed": seed, "claim": c.name, "kind": c.kind,
                      "margin": c.margin, "holds": c.holds, "seconds": seconds} for c in claims]
            print(f"lesson {lesson} {profile} seed {seed}: "
                  f"{sum(c.holds for c in claims)}/{len(claims)} hold ({seconds:.0f} s)", flush=True)
    return pd.DataFrame(rows)


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Pass rate and smallest margin per lesson, claim and profile."""
    grouped = results.groupby(["lesson", "claim", "kind", "profile"], sort=False)
    return grouped.agg(seeds=("seed", "nunique"), pass_rate=("holds", "mean"),
                       smallest_margin=("margin", "min")).reset_index()


def write_table(folder: Path) -> Path:
    """Gather every summary CSV in ``folder`` (not the ``*_runs.csv``) into ``folder/README.md``."""
    summaries = [pd.read_csv(path, dtype={"lesson": str}) for path in sorted(folder.glob("lesson*.csv"))
                 if not path.stem.endswith("_runs")]
    table = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    lines = ["# Every lesson's claims over many seeds", "",
             "Written by `make claims` (`python -m course_utils.claims`): each lesson's `run(seed, profile)` "
             "trains everything behind its claims with seeds the unit tests do not use (100 on), at the sizes "
             "of each profile (`gpu`: the gpu profile's sizes, run on the CPU). *Margin*: how far the claim "
             "was from failing, in the claim's own units (> 0: it held); the smallest over the seeds is shown. "
             "A *check* holds by construction or cannot fail in practice; it is asserted but is not a finding. "
             "One run per seed is in `lessonNN_*_runs.csv`.", "",
             "| lesson | claim | kind | profile | seeds | pass rate | smallest margin |",
             "|--------|-------|------|---------|------:|----------:|----------------:|"]
    for row in table.itertuples():
        lines.append(f"| {row.lesson} | {row.claim} | {row.kind} | {row.profile} | {row.seeds} | "
                     f"{row.pass_rate:.0%} | {row.smallest_margin:.3g} |")
    if len(table):
        failing = table[table["pass_rate"] < 1]
        lines += ["", f"{table['claim'].nunique()} claims and checks in {table['lesson'].nunique()} lessons; "
                  f"{len(failing)} (claim, profile) pairs with a failing seed."]
    path = folder / "README.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run lessons' claims over many seeds and write a table.")
    parser.add_argument("--lessons", nargs="+", default=[], help="lesson numbers, e.g. 07 08")
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (from --first-seed on)")
    parser.add_argument("--first-seed", type=int, default=100, help="first seed (the unit tests use 0-2)")
    parser.add_argument("--profiles", nargs="+", default=["smoke", "laptop"])
    parser.add_argument("--out", default="claims", help="folder for the CSV files")
    parser.add_argument("--table-only", action="store_true", help="only rebuild the folder's README.md table")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    if args.table_only:
        print(f"wrote {write_table(out)}")
        return
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    for lesson in args.lessons:
        results = run_many(lesson, seeds, args.profiles)
        name = f"lesson{lesson}_{'_'.join(args.profiles)}"
        results.to_csv(out / f"{name}_runs.csv", index=False)
        table = summarize(results)
        table.to_csv(out / f"{name}.csv", index=False)
        print(table.to_string(index=False))
    print(f"wrote {write_table(out)}")


if __name__ == "__main__":
    main()
