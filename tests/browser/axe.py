"""axe-core in Chromium: load the npm package's axe.min.js into every page and run its WCAG 2.1 A/AA checks.

The file comes from node_modules (package.json pins the version; `make test` runs `npm ci`).
It is added as a browser-context init script: Chromium runs those through the DevTools
protocol before the page's own code, so the portal's Content-Security-Policy (script-src
'self', no inline code) stays on for the pages under test; a <script> tag with axe's source
would need bypass_csp, which would also switch off the policy the pages are tested with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from tests.serving import ROOT

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
FAILING_IMPACTS = ("serious", "critical")

RUN_AXE = """async (tags) => {
  if (typeof axe === 'undefined') return null;
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return {version: axe.version, violations: result.violations.map(v => ({
    id: v.id, impact: v.impact, tags: v.tags, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.join(' ')),
    html: v.nodes.map(n => n.html.slice(0, 200))}))};
}"""


def axe_source() -> str:
    """axe.min.js from node_modules; missing is a failure that says how to get it, not a skip."""
    assert AXE_JS.is_file(), (
        f"{AXE_JS} is missing: run `npm ci --no-audit --no-fund --ignore-scripts` in {ROOT} "
        "(or `make node-packages`); the browser suite's accessibility checks need axe-core")
    return AXE_JS.read_text(encoding="utf-8")


def add_axe(context: BrowserContext, source: str) -> BrowserContext:
    """Make `axe` available in every page `context` opens from now on."""
    context.add_init_script(script=source)
    return context


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on one page, with where."""

    page: str
    rule: str
    impact: str
    tags: tuple[str, ...]
    help: str
    targets: tuple[str, ...]
    html: tuple[str, ...]

    @property
    def fails(self) -> bool:
        """Serious or critical, under a WCAG 2.0/2.1 A or AA success criterion."""
        return self.impact in FAILING_IMPACTS and bool(set(self.tags) & set(WCAG_TAGS))

    def describe(self) -> str:
        """One line a person can act on: page, rule, impact, what it asks and where."""
        more = f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else ""
        where = "; ".join(self.targets[:5]) + more
        return f"{self.page}: {self.rule} [{self.impact}] {self.help} -> {where}"


def run_axe(page: Page, name: str) -> list[Violation]:
    """axe's violations on the page now shown (WCAG 2.0/2.1 A and AA, plus best practice)."""
    page.wait_for_load_state("load")  # every stylesheet applied: colour contrast needs them
    result = page.evaluate(RUN_AXE, [*WCAG_TAGS, "best-practice"])
    assert result is not None, f"{name}: axe was not loaded into the page"
    return [Violation(page=name, rule=v["id"], impact=v["impact"] or "minor", tags=tuple(v["tags"]),
                      help=v["help"], targets=tuple(v["targets"]), html=tuple(v["html"]))
            for v in result["violations"]]


def write_report(path: Path, violations: list[Violation]) -> None:
    """Every violation found (failing or not) as JSON, for a person to read after the run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{**v.__dict__, "fails": v.fails} for v in violations],
                               ensure_ascii=False, indent=1), encoding="utf-8")
