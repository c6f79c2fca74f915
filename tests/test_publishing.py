"""Publishing: the workflows (checked by actionlint), licences, citation, the site's URL
and footer.

The tests marked ``site`` read the built website (run `make book` first), as test_site.py does;
the others run in `make unit`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import run_latest
import yaml
from bs4 import BeautifulSoup
from course import HTML, ROOT, config, repository_slug, repository_url

WORKFLOWS = ROOT / ".github" / "workflows"
# The CFF 1.2.0 schema as the cffconvert package ships it (cffconvert/schemas/1.2.0/schema.json;
# published at https://citation-file-format.github.io/1.2.0/schema.json), kept here so nothing
# is downloaded at test time.
CFF_SCHEMA = Path(__file__).with_name("cff-1.2.0.schema.json")
OFFICIAL_ACTION = re.compile(
    r"actions/(checkout|setup-python|configure-pages|upload-pages-artifact|deploy-pages)@v\d+"
)
MIT_URL = "https://opensource.org/license/mit"
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text())


def triggers(wf: dict) -> dict:
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as true
    return (
        on
        if isinstance(on, dict)
        else {key: None for key in ([on] if isinstance(on, str) else on)}
    )


def steps(wf: dict) -> list[dict]:
    return [step for job in wf["jobs"].values() for step in job.get("steps", [])]


def runs(wf: dict) -> list[str]:
    return [step["run"].strip() for step in steps(wf) if "run" in step]


def baseurl() -> str:
    return config()["html"]["baseurl"]


def actionlint() -> str:
    here = Path(sys.executable).parent / "actionlint"
    found = str(here) if here.exists() else shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint is missing: `make setup` installs it (the lock pins it)")
    return found


def test_workflows_pass_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.stem for f in files} >= {"test", "pages", "latest"}, files
    # External linters off, so the verdict does not depend on what else is on PATH.
    done = subprocess.run(
        [actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_use_official_actions_pinned_to_a_major_version():
    for path in WORKFLOWS.glob("*.yml"):
        for step in steps(yaml.safe_load(path.read_text())):
            if "uses" in step:
                assert OFFICIAL_ACTION.fullmatch(step["uses"]), f"{path.name}: {step['uses']}"


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, flags=re.MULTILINE))


def test_test_workflow_runs_what_ci_runs():
    wf = workflow("test")
    assert {"push", "pull_request"} <= set(triggers(wf))
    assert runs(wf) == ["bash .ci/run"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_pages_workflow_builds_the_book_and_deploys_it():
    wf = workflow("pages")
    assert triggers(wf)["push"]["branches"] == ["main"]
    assert runs(wf) == ["make book"] and "book" in make_targets()
    uses = {step["uses"].split("@")[0]: step for step in steps(wf) if "uses" in step}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert "actions/deploy-pages" in uses
    deploy = next(
        job
        for job in wf["jobs"].values()
        if any(s.get("uses", "").startswith("actions/deploy-pages") for s in job["steps"])
    )
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


def test_latest_workflow_is_weekly_and_on_demand_and_runs_make_latest():
    wf = workflow("latest")
    on = triggers(wf)
    assert "workflow_dispatch" in on
    assert len(on["schedule"]) == 1 and len(on["schedule"][0]["cron"].split()) == 5
    assert [run.split()[:2] for run in runs(wf)] == [["make", "latest"]]
    assert "latest" in make_targets()


def test_torch_spec_picks_the_newest_cpu_build(monkeypatch):
    listing = (
        "torch (2.15.0)\nAvailable versions: 2.15.0, 2.14.1, 2.13.0+cpu, 2.13.0, "
        "2.12.1+cpu, 2.9.0+cpu\n"
    )

    def fake_run(cmd, **kwargs):
        assert cmd[-2:] == ["--index-url", "https://example.org/cpu"]
        return subprocess.CompletedProcess(cmd, 0, stdout=listing, stderr="")

    monkeypatch.setattr(run_latest.subprocess, "run", fake_run)
    assert run_latest.torch_spec("https://example.org/cpu") == "torch==2.13.0+cpu"
    listing = "torch (2.15.0)\nAvailable versions: 2.15.0, 2.14.1\n"
    with pytest.raises(SystemExit, match="no CPU build"):
        run_latest.torch_spec("https://example.org/cpu")


def test_latest_seed_is_the_given_one_or_a_fresh_draw(monkeypatch):
    monkeypatch.setenv("RELU_COURSE_SEED", "1234")
    assert run_latest.draw_seed() == "1234"
    monkeypatch.setenv("RELU_COURSE_SEED", "")
    draws = {run_latest.draw_seed() for _ in range(20)}
    assert len(draws) > 1 and all(int(seed) > 0 for seed in draws)


def test_citation_cff_is_valid_and_matches_the_config():
    schema = json.loads(CFF_SCHEMA.read_text())
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(cff)]
    assert not errors, errors
    assert cff["cff-version"] == "1.2.0"
    assert cff["repository-code"] == repository_url()
    assert cff["url"] == baseurl()
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}


def test_baseurl_is_the_repository_pages_site():
    owner, name = repository_slug().split("/")
    assert baseurl() == f"https://{owner}.github.io/{name}/"


def test_licence_files_and_readme():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    content = (ROOT / "LICENSE-content").read_text()
    assert "Creative Commons Attribution 4.0 International" in content
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in content
    readme = (ROOT / "README.md").read_text()
    licence = readme.split("## License", 1)[1]
    for needle in ("MIT", "LICENSE", "CC BY 4.0", "LICENSE-content", "CITATION.cff"):
        assert needle in licence, needle


def test_readme_says_how_and_where_the_site_is_published():
    readme = (ROOT / "README.md").read_text()
    publishing = readme.split("## Publishing", 1)[1].split("\n## ", 1)[0]
    assert baseurl() in publishing
    for name in ("test", "pages", "latest"):
        assert f".github/workflows/{name}.yml" in publishing, name
    assert "make latest" in publishing


# The built website (as test_site.py: `make book` first).


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def pages() -> dict[Path, BeautifulSoup]:
    if not (HTML / "index.html").exists():
        pytest.fail("no built site in _build/html: run `make book` first")
    # Every page of the book, parsed once; not the generated module sources (_modules/) nor
    # the root index.html, a bare redirect to the intro.
    parsed = {
        p: soup(p)
        for p in sorted(HTML.rglob("*.html"))
        if not p.relative_to(HTML).parts[0].startswith("_")
    }
    return {p: s for p, s in parsed.items() if not s.find("meta", attrs={"http-equiv": "Refresh"})}


@pytest.mark.site
def test_footer_shows_both_licences(pages):
    for page, html in pages.items():
        footer = html.select_one("footer .extra_footer")
        assert footer is not None, f"{page.name}: no licence footer"
        links = {a.get("href"): a.get_text(strip=True) for a in footer.find_all("a")}
        assert links.get(MIT_URL) == "MIT License", (page.name, links)
        assert links.get(CC_BY_URL) == "CC BY 4.0", (page.name, links)
        text = footer.get_text(" ", strip=True)
        assert "Code:" in text and "Prose and figures:" in text, text


@pytest.mark.site
def test_pages_name_their_published_address(pages):
    for page, html in pages.items():
        canonical = html.find("link", rel="canonical")
        assert canonical is not None, page.name
        assert canonical["href"] == baseurl() + page.relative_to(HTML).as_posix(), canonical[
            "href"
        ]
