"""The GUI in a real browser: `gomoku-zero gui` as a subprocess, headless Chromium driven by
Selenium. A whole game against pure MCTS played by clicking, an error shown, take-back, the
analysis overlay (pure MCTS and the committed model), the run view of a tiny run as it grows,
and a screenshot.

Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver); without
them the test fails, saying so."""
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
GUI = [sys.executable, "-m", "pipeline", "gui"]
START_TIMEOUT = 120  # seconds: TensorFlow and the model load, the searches compile
WAIT = 30  # seconds for anything the page does
FEW_PLAYOUTS = "40"


def require_browser():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: install them with "
                    f"`apt-get install chromium chromium-driver` (Debian)")


@pytest.fixture
def runs_dir(tmp_path):
    run = tmp_path / "runs" / "tiny-run"
    run.mkdir(parents=True)
    records = [{"batch": b, "time": b / 2, "loss": 4.6 - 0.1 * b, "entropy": 3.5 - 0.05 * b,
                "kl": 0.02, "lr_multiplier": 1.0} for b in range(1, 6)]
    records.append({"batch": 5, "win_ratio": 0.7})
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp_path / "runs"


@pytest.fixture
def server(runs_dir, tmp_path):
    """The page's URL, served by the real command (committed model and pure MCTS)."""
    stderr = open(tmp_path / "gui-stderr.txt", "w+b")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.Popen(GUI + ["--port", "0", "--runs-dir", str(runs_dir)],
                            stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout] + [lines.put(None)],
                     daemon=True).start()
    url = None
    try:
        while url is None:
            line = lines.get(timeout=START_TIMEOUT)
            if line is None:
                stderr.seek(0)
                pytest.fail("gomoku-zero gui exited: " + stderr.read().decode()[-2000:])
            match = re.search(r"open (http://127\.0\.0\.1:\d+/)", line)
            url = match and match.group(1)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop, exit code 0
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        stderr.close()
        assert code == 0, f"gomoku-zero gui exited with {code} on Ctrl-C"


def open_chromium(tmp_path):
    """Headless Chromium under Selenium, with no network of its own and a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chromium'}",
                 "--window-size=1000,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture
def browser(tmp_path):
    """Opens Chromium when called (after the test has checked it is installed), quits it after."""
    drivers = []

    def start():
        drivers.append(open_chromium(tmp_path))
        return drivers[-1]
    yield start
    for driver in drivers:
        driver.quit()


def test_play_analyse_and_watch_a_run_in_the_browser(browser, server, runs_dir, tmp_path):
    require_browser()
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    browser = browser()

    def wait_for(condition, message):
        # the page redraws the board from scratch: an element found a moment ago may be gone
        return WebDriverWait(browser, WAIT, ignored_exceptions=[StaleElementReferenceException]) \
            .until(lambda d: condition(), message)

    def text(element_id):
        return browser.find_element(By.ID, element_id).text

    def stones():
        """{move: True for a black (X) stone, False for white}, read in one script call."""
        pairs = browser.execute_script(
            "return [...document.querySelectorAll('circle.stone')]"
            ".map(s => [Number(s.dataset.move), s.classList.contains('black')])")
        return dict(pairs)

    def chart_keys():
        return set(browser.execute_script(
            "return [...document.querySelectorAll('svg.chart')].map(c => c.dataset.key)"))

    def click_point(move):
        def click():
            browser.find_element(By.CSS_SELECTOR, f'rect.point[data-move="{move}"]').click()
            return True
        wait_for(click, f"cannot click point {move}")

    def result_shown():
        return browser.find_element(By.ID, "result").is_displayed()

    browser.get(server)
    wait_for(lambda: "Your move" in text("status"), "the page did not start a game")
    assert "model 6x6x4/best_policy.model" in Select(browser.find_element(By.ID, "opponent")) \
        .first_selected_option.text

    # a new game against pure MCTS with few playouts
    Select(browser.find_element(By.ID, "opponent")).select_by_value("pure")
    board_spec = browser.find_element(By.ID, "board-spec")
    board_spec.clear()
    board_spec.send_keys("6x6x4")
    amount = browser.find_element(By.ID, "think-amount")
    amount.clear()
    amount.send_keys(FEW_PLAYOUTS)
    browser.find_element(By.ID, "new-game").click()
    wait_for(lambda: "pure MCTS" in text("status") and "Your move" in text("status")
             and not stones(), "no new game against pure MCTS")
    assert len(browser.find_elements(By.CSS_SELECTOR, "rect.point")) == 36

    # the whole game by clicking: each move of mine is answered by one of the engine's
    first_reply = None
    while not result_shown():
        before = stones()
        mine = min(set(range(36)) - set(before))
        click_point(mine)
        wait_for(lambda: result_shown() or len(stones()) == len(before) + 2,
                 f"no reply to my move {mine}")
        after = stones()
        assert after[mine] is True  # I play X (black)
        replies = set(after) - set(before) - {mine}
        assert len(replies) == (0 if result_shown() and len(after) == len(before) + 1 else 1)
        if replies and first_reply is None:
            first_reply = replies.pop()
            assert after[first_reply] is False
            assert "playouts" in text("engine-info")
            # a click on the engine's stone is refused by the server, and the page says so
            click_point(first_reply)
            wait_for(lambda: "is taken" in text("error"), "no error shown for a taken point")
            assert len(stones()) == len(after)
    result = text("result")
    assert re.fullmatch(r"game over: (you win|you lose|draw)", result), result
    assert "Game over" in text("status")
    if "draw" not in result:
        assert browser.find_elements(By.CSS_SELECTOR, "line.win-line")
        assert len(browser.find_elements(By.CSS_SELECTOR, "circle.stone.win")) >= 4
    finished = stones()

    # a reload keeps the tab's game
    browser.refresh()
    wait_for(lambda: result_shown() and stones() == finished, "the reloaded tab lost its game")

    # take back: the game goes on, and the analysis overlay shows pure MCTS's visit counts
    browser.find_element(By.ID, "take-back").click()
    wait_for(lambda: not result_shown() and len(stones()) < len(finished), "take back did nothing")
    browser.find_element(By.ID, "analysis-toggle").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "text.visits")
             and "playouts" in text("analysis-info"), "no analysis of pure MCTS")
    assert "visit counts" in text("analysis-legend")
    assert not browser.find_elements(By.CSS_SELECTOR, "text.q")
    assert browser.find_elements(By.CSS_SELECTOR, "rect.heat")

    # against the model the overlay has the policy, Q, the value bar and the main line
    Select(browser.find_element(By.ID, "opponent")).select_by_value("model")
    browser.find_element(By.ID, "new-game").click()
    wait_for(lambda: "model 6x6x4" in text("status") and not stones(), "no game against the model")
    click_point(14)
    wait_for(lambda: len(stones()) == 2 and browser.find_elements(By.CSS_SELECTOR, "text.q")
             and "principal variation" in text("pv"), "no analysis of the model")
    assert "net value" in text("value-text") and "policy" in text("analysis-legend")
    fill = browser.find_element(By.ID, "value-fill").value_of_css_property("width")
    assert fill.endswith("px") and float(fill[:-2]) >= 0
    browser.save_screenshot(str(tmp_path / "analysis.png"))

    # the overlay goes away when toggled off
    browser.find_element(By.ID, "analysis-toggle").click()
    wait_for(lambda: not browser.find_elements(By.CSS_SELECTOR, "text.visits, rect.heat"),
             "the overlay stayed")

    # the run view: the tiny run's curves, and a new record appears while the page polls
    browser.find_element(By.ID, "tab-runs").click()
    wait_for(lambda: len(Select(browser.find_element(By.ID, "run-select")).options) == 2,
             "the run is not listed")
    Select(browser.find_element(By.ID, "run-select")).select_by_value("tiny-run")
    keys = {"loss", "entropy", "kl", "lr_multiplier", "win_ratio"}
    wait_for(lambda: chart_keys() == keys, "not every curve is drawn")
    assert "6 records" in text("run-info")
    with open(runs_dir / "tiny-run" / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"batch": 6, "loss": 4.0, "elo": 42.0}) + "\n")
    wait_for(lambda: "7 records" in text("run-info") and chart_keys() == keys | {"elo"},
             "the new record was not read")
    assert "elo" in browser.find_element(By.CSS_SELECTOR, 'svg.chart[data-key="elo"]').text.lower()
    shot = tmp_path / "runs-view.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
