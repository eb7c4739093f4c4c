"""What a reader sees, checked on the executed book that ``make book`` built.

``make book`` runs this file after the build (``make check-book``) with ``THEORYBOOK_BUILT_BOOK``
pointing at ``_build/html``; without the variable (as in ``make test``, which builds nothing
executed) the tests are skipped. The unexecuted build of ``tests/test_book_build.py`` checks the
buttons and the text on every ``make test``.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

BUILT = os.environ.get("THEORYBOOK_BUILT_BOOK")
pytestmark = pytest.mark.skipif(not BUILT, reason="set THEORYBOOK_BUILT_BOOK (make check-book)")
PROGRESS_RESIDUE = re.compile(r"\d+it \[|it/s\]|s/it\]|\d+%\|[█▏▎▍▌▋▊▉ ]*\|")
FORBIDDEN = ("[recollection]", "[unverified]", "the issue", "research notes")


class _Figures(HTMLParser):
    """Collects every <figure>: its images' alt texts and its caption text."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, object]] = []
        self._depth = 0
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self._depth += 1
            self.figures.append({"alts": [], "caption": ""})
        elif self._depth and tag == "img":
            self.figures[-1]["alts"].append(dict(attrs).get("alt") or "")  # type: ignore[union-attr]
        elif self._depth and tag == "figcaption":
            self._in_caption = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._depth -= 1
        elif tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.figures[-1]["caption"] = str(self.figures[-1]["caption"]) + data


def _root() -> Path:
    return Path(str(BUILT))


def _chapter_pages() -> list[Path]:
    return sorted((_root() / "chapters").glob("[0-9][0-9]_*.html")) if BUILT else []


def _text(html: str) -> str:
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("page", _chapter_pages(), ids=lambda p: p.stem)
def test_every_figure_is_numbered_captioned_and_described(page: Path) -> None:
    parser = _Figures()
    parser.feed(page.read_text(encoding="utf-8"))
    assert parser.figures, f"{page.name} shows no figure"
    number = int(page.stem[:2])
    for k, figure in enumerate(parser.figures, start=1):
        caption = re.sub(r"\s+", " ", str(figure["caption"])).strip()
        assert caption.startswith(f"Figure {number}."), f"{page.name} figure {k}: '{caption[:60]}'"
        assert len(caption) > 30, f"{page.name} figure {k} has no real caption"
        alts = figure["alts"]
        assert alts and all(len(a) >= 20 for a in alts), f"{page.name} figure {k}: alt text"  # type: ignore[arg-type]


@pytest.mark.parametrize("page", _chapter_pages(), ids=lambda p: p.stem)
def test_chapter_pages_have_launch_and_download_buttons(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert "https://colab.research.google.com/github/" in html
    assert "https://mybinder.org/v2/gh/" in html
    assert "btn-download-source-button" in html


@pytest.mark.parametrize("page", _chapter_pages(), ids=lambda p: p.stem)
def test_chapter_text_has_no_residue(page: Path) -> None:
    text = _text(page.read_text(encoding="utf-8"))
    residue = PROGRESS_RESIDUE.search(text)
    assert residue is None, f"{page.name}: progress-bar residue {residue.group(0)!r}"
    for phrase in FORBIDDEN:
        assert phrase not in text.lower(), f"{page.name} says {phrase!r}"


def test_scorecard_lists_every_chapter_with_its_claims() -> None:
    claims_dir = _root().parent / "claims"
    for page in _chapter_pages():
        records = json.loads((claims_dir / f"{page.stem}.json").read_text())
        assert records and {"id", "kind", "status", "where"} <= set(records[0])
    scorecard = (_root() / "book" / "scorecard.html").read_text(encoding="utf-8")
    for page in _chapter_pages():
        assert f"chapters/{page.stem}.html" in scorecard
    assert "not executed in this build" not in scorecard
    # the figure: one bar per chapter, and the headline counts of challenged reproductions
    assert scorecard.count("class='theorybook-scorecard-figure'") == 1
    challenged = total = 0
    for page in _chapter_pages():
        records = json.loads((claims_dir / f"{page.stem}.json").read_text())
        reps = [r for r in records if r["kind"] == "reproduction"]
        held = sum(r["status"] == "holds" and r.get("challenged") for r in reps)
        expected = f"{held} of {len(reps)} hold challenged" if reps else "no reproductions"
        assert expected in scorecard
        challenged, total = challenged + held, total + len(reps)
    assert f"{challenged} of {total} reproductions hold challenged" in scorecard
    # statements' maths is typeset, never shown between raw dollars
    assert "mathjax" in scorecard.lower()
