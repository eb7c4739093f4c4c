"""Compare the claims of two runs of the book, row by row (``theorybook.claims_comparison``).

    python scripts/compare_claims.py _build/claims /tmp/sequential/_build/claims
    python scripts/compare_claims.py /tmp/claims-before /tmp/claims-after --all

Each side is ``_build/claims`` (or one of its files) or the ``--out`` folder of
``scripts/run_chapters.py`` (or one of its manifests). Prints the rows whose status or measured
value differs (``--all``: every row) and a summary line; exits with status 1 when a row changed
status or is on one side only.
"""

from __future__ import annotations

import argparse
import sys

from theorybook.claims_comparison import compare_claims, load_claim_records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the reference claims (file or folder)")
    parser.add_argument("after", help="the claims to compare with them (file or folder)")
    parser.add_argument("--all", action="store_true", help="print every row, not only changes")
    args = parser.parse_args(argv)
    comparison = compare_claims(load_claim_records(args.before), load_claim_records(args.after))
    print(comparison.to_text(all_rows=args.all))
    return 0 if comparison.same_statuses else 1


if __name__ == "__main__":
    sys.exit(main())
