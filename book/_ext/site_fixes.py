"""Two fixes that keep the website self-contained and its console clean.

1. The notebooks' "Open in Colab" badge image points at colab.research.google.com
   so that it shows on Colab and GitHub. On the website it would be the only
   resource loaded from another host, and a broken image offline, so the image
   address is rewritten to a copy in ``_static`` (the link itself is kept).
2. sphinx-thebe (loaded by Jupyter Book) registers its inline configuration
   script once per read of the sources, and a page that declares
   ``const THEBE_JS_URL`` twice throws a console error. Identical scripts
   are kept once.
3. The theme's "download source" link opens a notebook in a new tab, where the
   browser shows it as JSON text. A small script marks ``.ipynb`` download links
   with the ``download`` attribute, so the executed notebook is saved as a file.
"""

from __future__ import annotations

from pathlib import Path

BADGE_URL = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "_static/colab-badge.svg"


def _script_key(script) -> tuple:
    # an inline script is registered once with filename None and once with "": same script
    attributes = getattr(script, "attributes", {}) or {}
    filename = getattr(script, "filename", script) or ""
    return (
        str(filename),
        tuple(sorted((k, str(v)) for k, v in attributes.items())),
    )


def _on_page(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and BADGE_URL in body:
        context["body"] = body.replace(BADGE_URL, context["pathto"](LOCAL_BADGE, 1))
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for script in scripts:
            key = _script_key(script)
            if key not in seen:
                seen.add(key)
                unique.append(script)
        context["script_files"] = unique


def _add_static_path(app, config):
    static = str(Path(__file__).resolve().parents[1] / "_static")
    if static not in config.html_static_path:
        config.html_static_path.append(static)


DOWNLOAD_NOTEBOOKS_JS = """document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('a.btn-download-source-button[href$=".ipynb"]').forEach(a => {
    a.setAttribute('download', a.getAttribute('href').split('/').pop());
    a.removeAttribute('target');
  });
});"""


def setup(app):
    app.add_js_file(None, body=DOWNLOAD_NOTEBOOKS_JS)
    app.add_css_file("course.css")
    app.connect("config-inited", _add_static_path)
    app.connect("html-page-context", _on_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
