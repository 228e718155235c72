"""The analysts' pages in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, ``make system-deps``) driven by Selenium, against the service
started for real on loopback.

Scenarios of the issue: run a named query and see its rows; follow a link from a result
to a resource page; open the Tashkent cluster and find its network drawn with 30
members; validate a flawed definition and see the violated principle named.  Every test
keeps screenshots (laptop and phone widths) in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from educluster.web import create_app
from httpserver import LiveServer
from pagesutil import TASHKENT, example_dataset, flawed_path

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LAPTOP = (1366, 900)
PHONE = (390, 844)
WAIT = 60  # seconds: generous for a loaded CI machine; never an assertion on speed


@pytest.fixture(scope="module")
def server():
    with LiveServer(create_app(example_dataset())) as live:
        yield live


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            pytest.fail(f"{program} is missing: install Debian's chromium and "
                        "chromium-driver (`make system-deps`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_window_size(*LAPTOP)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, condition, message: str):
    """Wait until ``condition(driver)`` is truthy; elements redrawn meanwhile (YASR
    redraws its table) are looked up again on the next poll."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(
        condition, message)


def shoot(driver, name: str, size=LAPTOP) -> Path:
    """A screenshot of the whole page at the given window width."""
    driver.set_window_size(*size)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size[0], min(max(size[1], height), 6000))
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(*LAPTOP)
    return path


def page_overflows(driver) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return driver.execute_script(
        "return Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def severe_console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def requested_urls(driver) -> list[str]:
    """Every URL the browser asked for since the last call (Chrome's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def foreign(urls: list[str], server) -> list[str]:
    """The requests that went over the network to anything but the service (the
    browser's own chrome:// pages are not network requests)."""
    return [u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))
            and not u.startswith(server.url + "/")]


def by_css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


# -- home and list --------------------------------------------------------------------------
def test_home_page_shows_counts_and_the_endpoint(server, browser):
    browser.get(server.url + "/")
    counts = {e.get_attribute("data-count"): e.text for e in by_css(browser, "[data-count]")}
    assert counts["clusters"] == "7"  # five examples and two flawed ones
    assert int(counts["participants"]) >= 58
    example = by_css(browser, "#sparqlwrapper-example")[0].text
    assert f'SPARQLWrapper("{server.url}/sparql")' in example
    assert by_css(browser, "button.copy")
    assert foreign(requested_urls(browser), server) == []
    shoot(browser, "home-laptop")
    browser.set_window_size(*PHONE)
    assert page_overflows(browser) == 0
    shoot(browser, "home-phone", PHONE)
    assert severe_console_errors(browser) == []


def test_cluster_list_sorts_by_members(server, browser):
    browser.get(server.url + "/clusters")
    by_css(browser, 'th[data-sort="members"] a')[0].click()
    wait_for(browser, lambda d: "sort=members" in d.current_url, "sorting by members")
    counts = [int(td.get_attribute("data-value")) for td in by_css(browser, "td.members")]
    assert counts == sorted(counts) and len(counts) == 7
    by_css(browser, 'th[data-sort="members"] a')[0].click()
    wait_for(browser, lambda d: "order=desc" in d.current_url, "sorting the other way")
    first = by_css(browser, "#cluster-table tbody tr")[0]
    assert first.get_attribute("data-iri") == TASHKENT
    shoot(browser, "clusters-laptop")
    shoot(browser, "clusters-phone", PHONE)


# -- the query page ---------------------------------------------------------------------------
def run_example(browser, server, summary: str) -> list:
    """Open /query, pick a named query from the examples, run it, return the table rows."""
    from selenium.webdriver.support.ui import Select

    browser.get(server.url + "/query")
    wait_for(browser, lambda d: by_css(d, ".yasgui .tabsList a[role=tab], .yasgui .tab"),
             "YASGUI drawn")
    Select(by_css(browser, "#example-select")[0]).select_by_visible_text(summary)
    wait_for(browser, lambda d: any(summary in t.text for t in by_css(d, ".tabsList .tab.active")),
             f"the tab {summary!r} active")
    button = wait_for(browser, lambda d: [b for b in by_css(d, ".yasqe_queryButton")
                                          if b.is_displayed()], "the run button")[0]
    button.click()
    return wait_for(browser, lambda d: [r for r in by_css(
        d, ".tabPanel.active .yasr table.dataTable tbody tr") if r.is_displayed()]
        or None, "result rows")


def test_named_query_runs_and_shows_its_rows(server, browser):
    rows = run_example(browser, server, "Members of a cluster, by kind")
    assert len(rows) == 30  # the example's own expectation: rows=30
    text = " ".join(r.text for r in rows)
    assert "Chirchik State Pedagogical Institute" in text
    shoot(browser, "query-members-laptop")
    shoot(browser, "query-members-phone", PHONE)
    assert severe_console_errors(browser) == []


def test_query_page_asks_nothing_of_other_hosts(server, browser):
    """No CDN, no prefix.cc, no vocabulary lookups: typing in the editor, running a query
    and reading the results only ever talk to the service."""
    from selenium.webdriver.common.keys import Keys

    requested_urls(browser)  # start afresh
    run_example(browser, server, "Clusters by region")
    # what YASGUI's prefix, class and property completers would look up elsewhere
    browser.execute_script("""
        const yasqe = window.educlusterYasgui.getTab().getYasqe();
        yasqe.setValue('SELECT * WHERE {\\n  ?x a foaf:Pe');
        yasqe.focus();
        yasqe.setCursor(yasqe.lineCount(), 0);""")
    field = by_css(browser, ".tabPanel.active .CodeMirror textarea")[0]
    field.send_keys("rs")
    field.send_keys(Keys.CONTROL, " ")
    field.send_keys(" .\n  ?x foaf:na")
    field.send_keys(Keys.CONTROL, " ")
    field.send_keys("\n}\n")
    browser.execute_script("""
        const yasqe = window.educlusterYasgui.getTab().getYasqe();
        yasqe.setCursor(0, 0);""")
    field.send_keys("PREFIX fo")
    field.send_keys(Keys.CONTROL, " ")
    browser.execute_script("return new Promise(r => setTimeout(r, 1500))")
    urls = requested_urls(browser)
    assert any(u.startswith(server.url + "/sparql") for u in urls)  # the query itself
    assert any("vendor/yasgui" in u for u in urls)
    assert foreign(urls, server) == []


def test_query_page_keeps_its_tabs_across_visits(server, browser):
    """The named queries become tabs once; coming back shows the same tabs, not copies."""
    from educluster import named_queries as nq

    browser.get(server.url + "/query")
    tabs = wait_for(browser, lambda d: by_css(d, ".yasgui .tabsList .tab"), "the tabs")
    names = [t.text.split("\n")[0].strip() for t in tabs]  # without the close button
    summaries = [q.summary for q in nq.named_queries().values()]
    assert [n for n in names if n] == summaries
    browser.refresh()
    again = wait_for(browser, lambda d: by_css(d, ".yasgui .tabsList .tab"), "the tabs")
    assert [t.text.split("\n")[0].strip() for t in again] == names


def test_a_result_links_to_the_resource_page(server, browser):
    run_example(browser, server, "Members of a cluster, by kind")
    selector = ('.tabPanel.active .yasr a.local-resource'
                '[href="/id/chirchik-state-pedagogical-institute"]')
    link = wait_for(browser, lambda d: by_css(d, selector), "a link to a local page")[0]
    assert link.get_attribute("target") in (None, "")  # opens here, not in a new window
    # the table cuts long IRIs short and overlays them while the pointer is over a cell:
    # follow the link from the keyboard, as a person tabbing through the results would
    from selenium.webdriver.common.keys import Keys

    link.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: urllib.parse.urlsplit(d.current_url).path ==
             "/id/chirchik-state-pedagogical-institute", "the resource page")
    assert by_css(browser, "h1")[0].text == "Chirchik State Pedagogical Institute"
    shoot(browser, "resource-from-query-laptop")


# -- a cluster page ---------------------------------------------------------------------------
def test_tashkent_cluster_network_has_30_members(server, browser):
    browser.get(server.url + "/clusters")
    by_css(browser, f'tr[data-iri="{TASHKENT}"] a')[0].click()
    wait_for(browser, lambda d: by_css(d, "svg.network"), "the network picture")
    nodes = by_css(browser, "svg.network g.node")
    assert len(nodes) == 30
    labels = {n.get_attribute("data-iri"): n.text for n in nodes}
    assert all(text.strip() for text in labels.values())  # every member labelled
    edges = by_css(browser, "svg.network path.edge")
    assert len(edges) == 59
    # vertical links are solid lines, and the leading authority a square with a tag
    dashes = {e.value_of_css_property("stroke-dasharray") for e in edges}
    assert dashes == {"none"}  # the Tashkent network is all vertical
    leader = by_css(browser, "svg.network g.node.leader")
    assert len(leader) == 1 and "leader" in leader[0].text
    assert by_css(browser, "svg.network g.node.leader rect.shape")
    # drawn on screen, not just present: the picture has a size
    svg = by_css(browser, "svg.network")[0]
    assert svg.size["width"] > 600 and svg.size["height"] > 400
    principles = by_css(browser, "#validation tr.principle")
    assert len(principles) >= 10 and all("ok" in p.get_attribute("class") for p in principles)
    assert foreign(requested_urls(browser), server) == []
    # pointing at a member brings its links forward
    from selenium.webdriver.common.action_chains import ActionChains

    institute = by_css(
        browser, 'svg.network g.node[data-iri$="/chirchik-state-pedagogical-institute"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", institute[0])
    ActionChains(browser).move_to_element(
        institute[0].find_element("css selector", ".shape")).perform()
    lit = wait_for(browser, lambda d: by_css(d, "svg.network path.edge.lit"), "lit links")
    assert len(lit) == sum(1 for e in edges if "chirchik-state-pedagogical-institute"
                           in (e.get_attribute("data-a") + e.get_attribute("data-b")))
    ActionChains(browser).move_by_offset(0, 400).perform()
    shoot(browser, "cluster-tashkent-laptop")
    browser.set_window_size(*PHONE)
    assert page_overflows(browser) == 0  # the picture scrolls inside its box
    shoot(browser, "cluster-tashkent-phone", PHONE)
    # a member of the picture opens its page
    link = by_css(browser, 'svg.network g.node a[href$="/id/chirchik-state-pedagogical-institute"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link[0])
    link[0].click()
    wait_for(browser, lambda d: d.current_url.endswith("/id/chirchik-state-pedagogical-institute"),
             "the member's page")


def test_single_point_of_failure_is_marked(server, browser):
    browser.get(server.url + "/clusters/flawed-failure-tolerance-cluster")
    spof = by_css(browser, "svg.network g.node.single-point")
    assert len(spof) == 1
    assert "single point of failure" in spof[0].text
    assert spof[0].get_attribute("data-iri").endswith("flawed-failure-tolerance-university")
    assert by_css(browser, "svg.network g.node.single-point circle.ring")
    row = by_css(browser, "#validation tr.principle.warning")
    assert row and "Failure tolerance" in row[0].text
    shoot(browser, "cluster-failure-tolerance-laptop")


# -- the validation page ----------------------------------------------------------------------
def test_validate_an_uploaded_flawed_definition(server, browser):
    browser.get(server.url + "/validate")
    by_css(browser, "#files")[0].send_keys(str(flawed_path("leadership")))
    by_css(browser, "#validate-button")[0].click()
    verdict = wait_for(browser, lambda d: by_css(d, "#verdict"), "the report")[0]
    assert "Does not conform" in verdict.text
    violated = by_css(browser, "tr.principle.violated")
    assert [r.find_element("css selector", "th").text for r in violated] == ["Leadership"]
    # the offending node is named, and its link opens what the definition says about it
    focus = violated[0].find_elements("css selector", "a.focus")
    assert focus and focus[0].text
    focus[0].click()
    target = urllib.parse.urlsplit(browser.current_url).fragment
    details = by_css(browser, f"details#{target}")
    assert details and details[0].get_attribute("open") is not None
    # the report downloads as JSON (and Turtle): the same verdict
    href = by_css(browser, 'a[download="validation-report.json"]')[0].get_attribute("href")
    report = json.loads(urllib.parse.unquote(href.split(",", 1)[1]))
    assert report["conforms"] is False
    assert any(r["principle"].endswith("#Leadership") for r in report["results"])
    assert by_css(browser, 'a[download="validation-report.ttl"]')[0] \
        .get_attribute("href").startswith("data:text/turtle")
    assert foreign(requested_urls(browser), server) == []
    shoot(browser, "validate-leadership-laptop")
    browser.set_window_size(*PHONE)
    assert page_overflows(browser) == 0
    shoot(browser, "validate-leadership-phone", PHONE)


def test_validate_a_pasted_example(server, browser):
    from selenium.webdriver.support.ui import Select

    browser.get(server.url + "/validate")
    Select(by_css(browser, "#example")[0]).select_by_value("flawed/subordination")
    wait_for(browser, lambda d: "example=flawed" in d.current_url, "the example loaded")
    text = by_css(browser, "#definition")[0].get_attribute("value")
    assert "@prefix ec:" in text
    by_css(browser, "#validate-button")[0].click()
    wait_for(browser, lambda d: by_css(d, "#verdict"), "the report")
    violated = [r.find_element("css selector", "th").text
                for r in by_css(browser, "tr.principle.violated")]
    assert violated == ["Subordination"]
    assert not by_css(browser, "#input-error")


def test_a_definition_that_does_not_parse_names_its_line(server, browser):
    browser.get(server.url + "/validate")
    area = by_css(browser, "#definition")[0]
    area.send_keys("@prefix ec: <https://w3id.org/educluster#> .\nec:a ec:b .\n")
    by_css(browser, "#validate-button")[0].click()
    error = wait_for(browser, lambda d: by_css(d, "#input-error"), "the error")[0]
    assert "line 2" in error.text
    # what was typed is still there to fix
    assert "ec:a ec:b" in by_css(browser, "#definition")[0].get_attribute("value")

