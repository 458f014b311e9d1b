"""`nhiemvu import` on the corpus of directives it was not written against: per document
and overall, how many of the reviewed checks the draft gets right (number, date, kind,
issuer, year, signer, upper directives, deadlines, action months, tasks' titles and
leads, and whether the draft loads), against the goal of 95% overall.

    .venv/bin/python bench/import_corpus.py [--check] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from importer.corpus import CORPUS, score_corpus

GOAL = 0.95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 below the goal")
    parser.add_argument("--verbose", action="store_true", help="list every failed check")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    scores = score_corpus(args.corpus)
    print(f"{'document':48} {'right':>5} {'checks':>6} {'agreement':>9}")
    for score in scores:
        print(f"{score.name:48} {score.right:5d} {score.total:6d} {score.ratio:9.1%}")
        if args.verbose:
            for failure in score.failures():
                print(f"    - {failure}")
    right = sum(s.right for s in scores)
    total = sum(s.total for s in scores)
    overall = right / total if total else 1.0
    print(f"{'overall (' + str(len(scores)) + ' documents)':48} {right:5d} {total:6d} "
          f"{overall:9.1%}   goal {GOAL:.0%}")
    if args.check and overall < GOAL:
        print(f"FAILED: agreement {overall:.1%} < {GOAL:.0%}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
