"""Sphinx extension of the book: chapter numbers from file names, and the Scorecard page.

Chapter numbers
    A chapter's file name starts with its number (``chapters/07_nde_solver_regularization``).
    Sphinx numbers the documents of a numbered toctree in order, and restarts for every part, so
    after Sphinx has assigned its numbers this extension rewrites them: the chapter's sections
    become 7, 7.1, 7.2, ..., and its figures, tables and equations 7.1, 7.2, ... in document order
    (``numfig_secnum_depth`` is irrelevant here). The book's numbering therefore never depends on
    which chapters exist yet.

Scorecard
    ``{theorybook-scorecard}`` (used in ``book/scorecard.md``) gathers every chapter's claims from
    *this* build: each executed chapter notebook (``_build/jupyter_execute/chapters/*.ipynb``)
    carries its claims table's records under the MIME type
    ``application/vnd.theorybook.claims+json``. The page is read after all chapters, is re-read
    on every build, and also writes the records to ``_build/claims/<chapter>.json``. Nothing is
    typed by hand and nothing is recomputed.

    The page opens with a figure, one bar per chapter, that splits the chapter's reproductions
    by status; its headline number is the reproductions that hold *challenged* (a null model or
    competitor was measured against them in the same run and did not pass). Statements render
    their ``$...$`` maths with MathJax.

Bibliography labels
    ``theorybook_authoryear`` is pybtex's ``unsrt`` style with labels such as ``Triebe+ 2019``
    instead of ``[1]``, matching the author-year citations in the text.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

from theorybook.claims import inline_math_html

CLAIMS_MIME_TYPE = "application/vnd.theorybook.claims+json"
SCORECARD_DOC = "book/scorecard"
_CHAPTER_DOC = re.compile(r"^chapters/(\d\d)_[A-Za-z0-9_]+$")
_KIND_ORDER = ("reproduction", "exact", "extension")
_KIND_TITLES = {"reproduction": "reproductions", "exact": "exact checks", "extension": "extensions"}
_STATUS_ORDER = (
    "holds",
    "unchallenged",
    "within noise",
    "calibrated",
    "pending",
    "not separating",
    "fails",
    "reported",
)
_LISTED = ("fails", "within noise", "not separating", "unchallenged", "calibrated", "pending")
# The segments of a chapter's bar in the Scorecard figure: a hold is split by whether a challenger
# was measured against it (the headline) or the row says why none makes sense.
_SEGMENTS = (
    ("holds, challenged", "holds-challenged"),
    ("holds, no challenger (reason given)", "holds-reason"),
    ("unchallenged", "unchallenged"),
    ("within noise", "within-noise"),
    ("calibrated", "calibrated"),
    ("not separating", "not-separating"),
    ("pending", "pending"),
    ("fails", "fails"),
    ("reported", "reported"),
)


def chapter_number(docname: str) -> int | None:
    """The chapter number encoded in a chapter's document name, else ``None``."""
    match = _CHAPTER_DOC.match(docname)
    return int(match.group(1)) if match else None


# --- numbering ---------------------------------------------------------------------------------


def _renumber(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Give every chapter's sections, figures and equations the chapter's own number."""
    changed = []
    for docname in list(env.found_docs):
        number = chapter_number(docname)
        if number is None:
            continue
        secnums = env.toc_secnumbers.get(docname)
        if secnums:
            env.toc_secnumbers[docname] = {
                anchor: (number, *secnum[1:]) if secnum else secnum
                for anchor, secnum in secnums.items()
            }
        toc = env.tocs.get(docname)
        if toc is not None:  # the numbers shown in the navigation and the page's contents
            for reference in toc.findall(nodes.reference):
                secnum = reference.get("secnumber")
                if secnum:
                    reference["secnumber"] = (number, *secnum[1:])
        fignums = env.toc_fignumbers.get(docname)
        if fignums:
            renumbered: dict[str, dict[str, tuple[int, ...]]] = {}
            for figtype, entries in fignums.items():
                ordered = sorted(entries.items(), key=lambda item: item[1])
                renumbered[figtype] = {
                    node_id: (number, k) for k, (node_id, _) in enumerate(ordered, start=1)
                }
            env.toc_fignumbers[docname] = renumbered
        changed.append(docname)
    return changed


# --- scorecard ---------------------------------------------------------------------------------


def _executed_notebooks(app: Sphinx) -> list[Path]:
    folder = Path(app.outdir).parent / "jupyter_execute" / "chapters"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def _claims_in(notebook: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = None
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(CLAIMS_MIME_TYPE)
            if payload is not None:
                found = list(payload.get("records", []))
    return found


def _cached_claims(app: Sphinx, docname: str) -> list[dict[str, Any]] | None:
    """The claims of a chapter's outputs in the execution cache (``make book`` executes the
    chapters into it before Sphinx runs; myst-nb then renders from the cache, and writes the
    *unexecuted* notebook to ``jupyter_execute``, so the cache is where the outputs are)."""
    import nbformat
    from jupyter_cache import get_cache

    source = Path(app.srcdir) / f"{docname}.ipynb"
    cache_path = getattr(app.config, "nb_execution_cache_path", "") or str(
        Path(app.outdir).parent / ".jupyter_cache"
    )
    if not source.is_file() or not Path(cache_path).is_dir():
        return None
    cache = get_cache(cache_path)
    try:
        record = cache.match_cache_notebook(nbformat.read(source, as_version=4))
    except KeyError:
        return None
    return _claims_in(cache.get_cache_bundle(record.pk).nb)


def collect_claims(app: Sphinx) -> dict[str, list[dict[str, Any]]]:
    """``{chapter: records}`` from the executed chapter notebooks of this build: the execution
    cache first, else the notebooks myst-nb executed itself (``jupyter_execute``)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for docname in sorted(app.env.found_docs):
        if chapter_number(docname) is None:
            continue
        records = _cached_claims(app, docname)
        if records is not None:
            found[docname.split("/", 1)[1]] = records
    for path in _executed_notebooks(app):
        docname = f"chapters/{path.stem}"
        if path.stem in found or docname not in app.env.found_docs:
            continue
        records = _claims_in(json.loads(path.read_text(encoding="utf-8")))
        if records is not None:
            found[path.stem] = records
    return found


def _write_claims_json(app: Sphinx, claims: dict[str, list[dict[str, Any]]]) -> None:
    folder = Path(app.outdir).parent / "claims"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.json"):
        if stale.stem not in claims:
            stale.unlink()
    for chapter, records in claims.items():
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
        (folder / f"{chapter}.json").write_text(text, encoding="utf-8")


def _detail(record: dict[str, Any]) -> str:
    """What a listed row's status rests on: the pending settings, the tuned constant, the
    spread, the challenger that passes too."""
    status = record["status"]
    if status == "pending":
        on = ", ".join(record.get("pending_on") or [])
        reason = record.get("pending_reason") or ""
        return f"pending on {on}: {reason}" if on else reason
    if status == "calibrated":
        return str(record.get("calibrated_on") or "")
    if status == "within noise" and record.get("spread"):
        spread = record["spread"]
        return f"{spread['what']}: [{spread['low']:.4g}, {spread['high']:.4g}]"
    if status == "not separating" and record.get("baseline_name"):
        return f"{record['baseline_name']} passes too"
    return ""


def _count_line(records: list[dict[str, Any]]) -> str:
    parts = []
    for kind in _KIND_ORDER:
        counts = Counter(r["status"] for r in records if r["kind"] == kind)
        if counts:
            inner = ", ".join(f"{counts[s]} {s}" for s in _STATUS_ORDER if counts[s])
            parts.append(f"<b>{_KIND_TITLES[kind]}</b>: {escape(inner)}")
    return " · ".join(parts) or "no claims"


def _segment(record: dict[str, Any]) -> str:
    """The bar segment of one reproduction row."""
    status = str(record["status"])
    if status == "holds":
        return (
            "holds, challenged"
            if record.get("challenged")
            else ("holds, no challenger (reason given)")
        )
    return status


def challenged_holds(records: list[dict[str, Any]]) -> int:
    """The number of reproductions that hold against a challenger that does not pass."""
    return sum(
        1
        for r in records
        if r["kind"] == "reproduction" and r["status"] == "holds" and r.get("challenged")
    )


def scorecard_figure(chapters: list[tuple[int, str, str, list[dict[str, Any]]]]) -> str:
    """An inline SVG: one bar per chapter, its reproductions split by status.

    ``chapters`` holds ``(number, title, href, records)``. Bars share one scale (one unit per
    row), so their lengths compare; each segment has a tooltip, and the fills come from the
    theme's colour variables (``book/_static/theorybook.css``), so the figure follows light and
    dark mode.
    """
    row_h, bar_h, left, right, width = 30, 18, 150, 170, 760
    most = max([sum(r["kind"] == "reproduction" for r in recs) for *_, recs in chapters] + [1])
    unit = (width - left - right) / most
    legend_y = 20 + row_h * len(chapters) + 10
    height = legend_y + 24 * ((len(_SEGMENTS) + 2) // 3) + 8
    out = [
        f"<svg class='theorybook-scorecard-figure' viewBox='0 0 {width} {height}' role='img' "
        "aria-labelledby='tb-scorecard-figure-title' xmlns='http://www.w3.org/2000/svg'>",
        "<title id='tb-scorecard-figure-title'>Reproductions per chapter, by status</title>",
    ]
    for i, (number, title, href, records) in enumerate(chapters):
        y = 20 + row_h * i
        reps = [r for r in records if r["kind"] == "reproduction"]
        out.append(
            f"<a href='{escape(href)}'><text class='tb-fig-label' x='{left - 8}' "
            f"y='{y + bar_h - 4}' text-anchor='end'>{number}. {escape(_short(title))}</text></a>"
        )
        counts = Counter(_segment(r) for r in reps)
        x = float(left)
        for name, css in _SEGMENTS:
            n = counts[name]
            if not n:
                continue
            w = n * unit
            out.append(
                f"<rect class='tb-seg tb-seg-{css}' x='{x:.1f}' y='{y}' width='{w:.1f}' "
                f"height='{bar_h}'><title>Chapter {number}: {n} {escape(name)}</title></rect>"
            )
            x += w
        if not reps:
            text = "not executed" if not records else "no reproductions"
        else:
            text = f"{challenged_holds(records)} of {len(reps)} hold challenged"
        out.append(f"<text class='tb-fig-count' x='{x + 8:.1f}' y='{y + bar_h - 4}'>{text}</text>")
    for j, (name, css) in enumerate(_SEGMENTS):
        lx, ly = 10 + (j % 3) * 250, legend_y + 24 * (j // 3)
        out.append(
            f"<rect class='tb-seg tb-seg-{css}' x='{lx}' y='{ly}' width='14' height='14'/>"
            f"<text class='tb-fig-legend' x='{lx + 20}' y='{ly + 12}'>{escape(name)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _short(title: str, limit: int = 22) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


class ScorecardDirective(SphinxDirective):
    """Every chapter's claims, counted by kind and status, with the rows that do not hold."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        app = self.env.app
        claims = collect_claims(app)
        _write_claims_json(app, claims)
        chapters = sorted(d for d in self.env.found_docs if chapter_number(d) is not None)
        html = ["<div class='theorybook-scorecard'>"]
        totals: Counter[tuple[str, str]] = Counter()
        bars: list[tuple[int, str, str, list[dict[str, Any]]]] = []
        for docname in chapters:
            stem = docname.split("/", 1)[1]
            title = self.env.titles.get(docname)
            name = title.astext() if title is not None else stem
            href = f"../{docname}.html"
            records = claims.get(stem)
            number = chapter_number(docname) or 0
            bars.append((number, name, href, records or []))
            html.append(f"<h2>Chapter {number}: <a href='{href}'>{escape(name)}</a></h2>")
            if not records:
                html.append(
                    "<p>No claims recorded: the chapter was not executed in this build.</p>"
                )
                continue
            totals.update((r["kind"], r["status"]) for r in records)
            scale = ", ".join(sorted({r["scale"] for r in records}))
            reps = sum(r["kind"] == "reproduction" for r in records)
            html.append(
                f"<p><b>{challenged_holds(records)} of {reps} reproductions hold "
                f"challenged.</b> Run at {escape(scale)} scale. {_count_line(records)}. "
                f"<a href='{href}#claim-{escape(stem)}-{escape(records[0]['id'])}'>"
                "The chapter's table</a>.</p>"
            )
            listed = [r for r in records if r["status"] in _LISTED]
            if listed:
                html.append("<ul>")
                for r in sorted(listed, key=lambda r: _LISTED.index(r["status"])):
                    anchor = f"{href}#claim-{escape(stem)}-{escape(r['id'])}"
                    extra = f" ({escape(_detail(r))})" if _detail(r) else ""
                    html.append(
                        f"<li><span class='tb-status tb-{r['status'].replace(' ', '-')}'>"
                        f"{escape(r['status'])}</span> · {escape(r['kind'])} · "
                        f"<a href='{anchor}'>{inline_math_html(r['statement'])}</a>{extra}</li>"
                    )
                html.append("</ul>")
        html.insert(
            1,
            "<figure class='theorybook-scorecard-bars'>"
            + scorecard_figure(bars)
            + "<figcaption>Each chapter's reproductions, one unit of length per row, split by "
            "status. <i>Holds, challenged</i>: the row passes and a null model or competitor "
            "measured in the same run under the same check does not.</figcaption></figure>",
        )
        if totals:
            challenged = sum(challenged_holds(recs) for *_, recs in bars)
            reps = sum(r["kind"] == "reproduction" for *_, recs in bars for r in recs)
            lines = [f"<b>{challenged} of {reps} reproductions hold challenged</b>"]
            for kind in _KIND_ORDER:
                inner = ", ".join(
                    f"{totals[(kind, s)]} {s}" for s in _STATUS_ORDER if totals[(kind, s)]
                )
                if inner:
                    lines.append(f"<b>{_KIND_TITLES[kind]}</b>: {escape(inner)}")
            html.insert(
                1, f"<p class='theorybook-scorecard-total'>The whole book: {' · '.join(lines)}.</p>"
            )
        html.append("</div>")
        return [nodes.raw("", "\n".join(html), format="html")]


def _always_reread_scorecard(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    return [SCORECARD_DOC] if SCORECARD_DOC in env.found_docs else []


def _read_scorecard_last(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if SCORECARD_DOC in docnames:
        docnames.remove(SCORECARD_DOC)
        docnames.append(SCORECARD_DOC)


# --- bibliography labels -----------------------------------------------------------------------


def _register_authoryear_style() -> None:
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        """``Author 2019``, ``Author & Other 2019``, ``Author+ 2019``; a/b/... on clashes."""

        def format_labels(self, sorted_entries: Any) -> Any:
            labels = []
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                names = [" ".join(p.last_names) or " ".join(p.first_names) for p in people]
                if not names:
                    who = entry.fields.get("title", entry.key).split()[0]
                elif len(names) == 1:
                    who = names[0]
                elif len(names) == 2:
                    who = f"{names[0]} & {names[1]}"
                else:
                    who = f"{names[0]}+"
                who = re.sub(r"[{}\\]", "", who)
                labels.append(f"{who} {entry.fields.get('year', 'n.d.')}")
            counts = Counter(labels)
            seen: Counter[str] = Counter()
            for label in labels:
                if counts[label] > 1:
                    seen[label] += 1
                    yield f"{label}{chr(ord('a') + seen[label] - 1)}"
                else:
                    yield label

    class AuthorYearStyle(UnsrtStyle):
        default_label_style = AuthorYearLabels

    register_plugin("pybtex.style.formatting", "theorybook_authoryear", AuthorYearStyle, force=True)


def setup(app: Sphinx) -> dict[str, Any]:
    _register_authoryear_style()
    # MathJax on every page: the Scorecard's statements are maths inside raw HTML, which Sphinx
    # does not count when it decides which pages need MathJax.
    app.set_html_assets_policy("always")
    app.add_directive("theorybook-scorecard", ScorecardDirective)
    app.connect("env-get-outdated", _always_reread_scorecard)
    app.connect("env-before-read-docs", _read_scorecard_last)
    # after Sphinx's own TocTreeCollector (default priority 500) has assigned its numbers
    app.connect("env-get-updated", _renumber, priority=900)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
