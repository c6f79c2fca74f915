"""The built website in a real browser: headless Chromium (Debian's package) driven by Playwright.

Every page loads with no console errors, math is typeset by the bundled MathJax
with no network, every image has loaded, launch links point at the right
notebook, search works, a phone-width viewport keeps the text readable, and
figures stay legible in dark mode. Screenshots go to _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path

import pytest
from course import HTML, ROOT, docname, notebooks, repository_slug, toc_files

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("RELU_COURSE_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "_build" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]
PAGES = [f"{entry}.html" for entry in toc_files()] + ["search.html", "genindex.html"]
CHAPTERS = [f"{docname(nb)}.html" for nb in notebooks()]


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("no built site in _build/html: run `make book` first")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make browser-deps` installs Debian's package")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url, mode="light", viewport=(1280, 900)):
    """Open ``url`` in a fresh context; block every request that leaves localhost."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.add_init_script(
        f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
    )
    offsite = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            return r.continue_()
        offsite.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    page.evaluate("""async () => {
        for (const img of document.images) img.loading = 'eager';
        await Promise.all(Array.from(document.images).map(i => i.complete ? 0 :
            new Promise(r => { i.onload = i.onerror = r; })));
        if (window.MathJax && MathJax.startup && MathJax.startup.promise)
            await MathJax.startup.promise;
    }""")
    return context, page, errors, offsite


def shot_name(page_path: str, suffix: str = "") -> Path:
    return SHOTS / (page_path.replace("/", "_").replace(".html", "") + suffix + ".png")


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_with_math_and_images(browser, server, path):
    context, page, errors, offsite = open_page(browser, f"{server}/{path}")
    try:
        assert errors == [], f"{path}: console errors {errors}"
        assert offsite == [], f"{path}: requests to other hosts {offsite}"
        broken = page.evaluate(
            "Array.from(document.images)"
            ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert broken == [], f"{path}: images that did not load: {broken}"
        untypeset = page.evaluate(
            "document.querySelectorAll('.math:not(:has(mjx-container))').length"
        )
        assert untypeset == 0, f"{path}: {untypeset} math elements not typeset"
        prose = page.evaluate("""() => {
            const main = document.querySelector('article') || document.body;
            const copy = main.cloneNode(true);
            copy.querySelectorAll('pre, code, .highlight, script, mjx-container, .cell_output')
                .forEach(e => e.remove());
            return copy.innerText;
        }""")
        raw = re.findall(r"\$[^$\s][^$\n]{0,80}\$", prose)
        assert raw == [], f"{path}: raw TeX left in the text: {raw[:3]}"
        page.screenshot(path=str(shot_name(path)), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapter_page(browser, server, path):
    """One load of each notebook page: math, Colab and download links, no bookkeeping or
    control characters, solutions folded until clicked, no code that scrolls sideways."""
    context, page, errors, _ = open_page(browser, f"{server}/{path}")
    try:
        check_math_and_links(page, path)
        check_no_bookkeeping(page, path)
        if path in SOLUTION_CHAPTERS:
            check_solutions_fold(page, path)
        check_code_blocks_fit(page, path)
    finally:
        context.close()


def check_math_and_links(page, path):
    assert page.evaluate("document.querySelectorAll('mjx-container').length") > 0
    stem = Path(path).stem
    expected = (
        f"https://colab.research.google.com/github/{repository_slug()}/blob/main/"
        f"{path.removesuffix('.html')}.ipynb"
    )
    hrefs = page.evaluate(
        "Array.from(document.querySelectorAll('a')).map(a => a.href)"
        ".filter(h => h.includes('colab.research.google.com/github'))"
    )
    assert hrefs and set(hrefs) == {expected}, hrefs
    download = page.evaluate(
        "Array.from(document.querySelectorAll('a.btn-download-source-button'))"
        ".filter(a => a.getAttribute('href').endsWith('.ipynb'))"
        ".map(a => [a.getAttribute('href'), a.getAttribute('download')])"
    )
    assert download, f"{path}: no download link to the notebook"
    ((href, name),) = download
    assert name == f"{stem}.ipynb", f"{path}: the notebook link does not download ({name!r})"
    nb = page.evaluate("async h => (await fetch(h)).json()", href)
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert outputs, f"{path}: the downloadable notebook is not the executed one"


def test_search_finds_he_initialization(browser, server):
    context, page, errors, _ = open_page(browser, f"{server}/search.html?q=He+initialization")
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=20000)
        results = page.evaluate(
            "Array.from(document.querySelectorAll('#search-results ul.search li a'))"
            ".map(a => a.getAttribute('href'))"
        )
        assert any("05_tips" in r or "init" in r for r in results), results
        assert errors == []
        page.screenshot(path=str(shot_name("search", "-he-initialization")), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("path", CHAPTERS[:1] + ["book/intro.html"])
def test_phone_width_keeps_text_readable(browser, server, path):
    context, page, errors, _ = open_page(browser, f"{server}/{path}", viewport=(390, 844))
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path}: page is {overflow}px wider than a phone screen"
        size = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('article p')).fontSize)"
        )
        assert size >= 14, f"{path}: body text is {size}px on a phone"
        width = page.evaluate("document.querySelector('article p').getBoundingClientRect().width")
        assert width >= 300, f"{path}: text column only {width}px wide on a phone"
        page.screenshot(path=str(shot_name(path, "-phone")), full_page=False)
    finally:
        context.close()


@pytest.mark.parametrize("path", CHAPTERS)
def test_figures_stay_legible_in_dark_mode(browser, server, path):
    context, page, errors, _ = open_page(browser, f"{server}/{path}", mode="dark")
    try:
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        corners = page.evaluate("""() => Array.from(document.querySelectorAll('.cell_output img'))
          .map(img => {
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            const p = ctx.getImageData(2, 2, 1, 1).data;
            return {filter: getComputedStyle(img).filter, rgba: Array.from(p)};
        })""")
        assert corners, f"{path}: no figures"
        for fig in corners:
            assert fig["rgba"] == [255, 255, 255, 255], (
                f"{path}: figure background is not opaque white: {fig}"
            )
            assert "invert" not in fig["filter"], f"{path}: dark mode inverts figures"
        page.screenshot(path=str(shot_name(path, "-dark")), full_page=True)
    finally:
        context.close()


# ------------------------------------------------- the reading experience

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_no_bookkeeping(page, path):
    text = page.evaluate("document.querySelector('article').textContent")
    for call in ("claims.check(", "claims.measure(", "claims.cite("):
        assert call not in text, f"{path}: claims bookkeeping shown"
    assert "NBVAL" not in text, f"{path}: nbval markers shown"
    assert "%pip install" not in text, f"{path}: the install cell is shown"
    bad = sorted({hex(ord(c)) for c in CONTROL.findall(text)})
    assert not bad, f"{path}: control characters {bad} in the page text"


def check_code_blocks_fit(page, path):
    # open every collapsed cell so its code is laid out too
    page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('.cell_input pre'))
        .filter(p => p.scrollWidth > p.clientWidth + 1)
        .map(p => p.textContent.split('\\n').reduce((a, b) => a.length > b.length ? a : b))""")
    assert wide == [], f"{path}: code that scrolls sideways at 1280 px: {wide[:3]}"


SOLUTION_CHAPTERS = [
    p for p in CHAPTERS if '"hide-cell"' in (ROOT / p.replace(".html", ".ipynb")).read_text()
]


def check_solutions_fold(page, path):
    count = page.evaluate("document.querySelectorAll('.tag_hide-cell details').length")
    assert count > 0, f"{path}: no collapsed solutions"
    state = page.evaluate("""() => Array.from(
        document.querySelectorAll('.tag_hide-cell details')).map(d => ({
        open: d.open,
        label: d.querySelector('summary').innerText.trim(),
        shown: Array.from(d.querySelectorAll('.cell_input, .cell_output'))
            .some(e => e.checkVisibility()),
    }))""")
    for i, s in enumerate(state):
        assert not s["open"] and not s["shown"], f"{path}: solution {i + 1} is open on load"
        assert s["label"] == "Show solution", (
            f"{path}: solution {i + 1} toggle reads {s['label']!r}"
        )
    first = page.locator(".tag_hide-cell details").first
    first.scroll_into_view_if_needed()
    if path == SOLUTION_CHAPTERS[0]:
        page.screenshot(path=str(shot_name(path, "-solution-closed")))
    first.locator("summary").click()
    page.wait_for_timeout(200)
    opened = page.evaluate("""() => {
        const d = document.querySelector('.tag_hide-cell details');
        return {open: d.open, input: d.querySelector('.cell_input').checkVisibility(),
                label: d.querySelector('summary').innerText.trim()};
    }""")
    assert opened["open"] and opened["input"], f"{path}: a click does not open the solution"
    assert opened["label"] == "Hide solution", opened
    if path == SOLUTION_CHAPTERS[0]:
        page.screenshot(path=str(shot_name(path, "-solution-open")))


SLIDER_PAGES = [
    p for p in CHAPTERS if "relu-slider" in (ROOT / p.replace(".html", ".ipynb")).read_text()
]


def test_there_are_two_interactive_figures():
    count = sum(
        (ROOT / p.replace(".html", ".ipynb")).read_text().count('class=\\"relu-slider\\"')
        for p in SLIDER_PAGES
    )
    assert count >= 2, f"{count} slider figures in the book; the course has two"


@pytest.mark.parametrize("path", SLIDER_PAGES)
def test_sliders_move_the_picture(browser, server, path):
    context, page, errors, _ = open_page(browser, f"{server}/{path}")
    try:
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.relu-slider input.anim-slider'))"
            ".every(s => s.max > 0)"
        )
        n = page.evaluate("document.querySelectorAll('.relu-slider').length")
        assert n >= 1, f"{path}: no slider"
        for i in range(n):
            moved = page.evaluate(
                """i => {
                const box = document.querySelectorAll('.relu-slider')[i];
                const slider = box.querySelector('input.anim-slider');
                const img = box.querySelector('img');
                const before = img.src;
                slider.value = slider.max;
                slider.dispatchEvent(new Event('input'));
                return {before: before.length, after: img.src.length,
                        same: before === img.src, max: Number(slider.max)};
            }""",
                i,
            )
            assert moved["max"] >= 2, f"{path} slider {i}: {moved['max'] + 1} frames"
            assert not moved["same"], f"{path} slider {i}: the picture did not change"
            if i == 0:
                page.locator(".relu-slider").first.scroll_into_view_if_needed()
                page.screenshot(path=str(shot_name(path, "-slider")))
        assert errors == [], errors
    finally:
        context.close()


def test_ledger_filter_shows_one_verdict(browser, server):
    context, page, errors, _ = open_page(browser, f"{server}/book/claims_ledger.html")
    try:
        total = page.evaluate("document.querySelectorAll('table.claims-ledger tbody tr').length")
        assert total > 0
        page.click(".ledger-filter button[data-verdict='verdict-not-confirmed']")
        shown = page.evaluate("""() => Array.from(
            document.querySelectorAll('table.claims-ledger tbody tr'))
            .filter(r => r.checkVisibility()).map(r => r.className)""")
        assert shown and all("verdict-not-confirmed" in c for c in shown), shown[:3]
        assert len(shown) < total
        first = page.evaluate(
            "document.querySelector('table.claims-ledger thead th').innerText.trim()"
        )
        assert first == "Verdict", f"the ledger's first column is {first!r}"
        page.screenshot(path=str(shot_name("book/claims_ledger", "-not-confirmed")))
        page.click(".ledger-filter button[data-verdict='all']")
        again = page.evaluate("""() => Array.from(
            document.querySelectorAll('table.claims-ledger tbody tr'))
            .filter(r => r.checkVisibility()).length""")
        assert again == total
        assert errors == []
    finally:
        context.close()


def test_activation_table_lists_every_registered_activation(browser, server):
    from relu_course import activations

    context, page, errors, _ = open_page(browser, f"{server}/book/choosing.html")
    try:
        names = page.evaluate(
            "Array.from(document.querySelectorAll('table.activation-table tbody tr'))"
            ".map(r => r.cells[0].innerText.trim())"
        )
        canonical = {activations.get(n).display_name for n in activations.names()}
        assert set(names) == canonical, set(names) ^ canonical
        costs = page.evaluate(
            "Array.from(document.querySelectorAll('table.activation-table tbody tr'))"
            ".map(r => r.cells[4].innerText.trim())"
        )
        assert sum(c.endswith("]") for c in costs) >= len(costs) - 2, costs
        page.screenshot(path=str(shot_name("book/choosing")), full_page=True)
    finally:
        context.close()
