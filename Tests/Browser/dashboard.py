#!/usr/bin/env python3
"""The dashboard in real headless Chromium (Debian's chromium and chromium-driver, through selenium).

Run by DashboardBrowserTests with: BASE_URL WORKSPACE_DIR SCREENSHOT_DIR, and the tokens in the environment
(LANDER_VIEWER_TOKEN, LANDER_DEPLOYER_TOKEN: never on a command line).
Signs in with the viewer token, opens the grid, starts deployments through the API with the deployer token,
waits for the grid's cells to change without a reload, opens a deployment page and reads a target's log line,
follows a running deployment's page live, and saves screenshots. Prints one JSON object of what it saw;
exits 1 with the reason when a wait runs out.
"""
import json, os, sys, tempfile, time, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, workspace, shots = sys.argv[1:4]
viewer, deployer = os.environ["LANDER_VIEWER_TOKEN"], os.environ["LANDER_DEPLOYER_TOKEN"]
os.makedirs(shots, exist_ok=True)
seen = {}

def api(method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {deployer}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())

options = webdriver.ChromeOptions()
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='lander-chromium-')}", "--window-size=1280,900"):
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)

def text_of(element_id):
    elements = driver.find_elements(By.ID, element_id)
    return elements[0].text if elements else ""

def wait_until(what, check, seconds=60):
    try:
        WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda _: check())
    except Exception:
        driver.save_screenshot(os.path.join(shots, "failed.png"))
        print(json.dumps({"failed": what, "seen": seen}))
        sys.exit(1)

try:
    driver.get(base + "/")
    seen["unsigned_lands_on"] = driver.current_url.replace(base, "")
    driver.find_element(By.NAME, "token").send_keys(viewer)
    driver.find_element(By.TAG_NAME, "button").click()
    wait_until("the grid after signing in", lambda: driver.find_elements(By.ID, "grid"))
    wait_until("live updates on", lambda: text_of("live-state") == "on")
    driver.execute_script("window.landerMarker = 'same page';")
    seen["slow_before"] = text_of("cell-slow--test")

    slow = api("POST", "/api/v1/deployments", {"project": "slow", "environment": "test", "version": "3.0"})["id"]
    wait_until("slow running its step hold in the grid", lambda: "step hold" in text_of("cell-slow--test"))
    seen["slow_running"] = text_of("cell-slow--test")
    open(os.path.join(workspace, "release"), "w").close()
    wait_until("slow 3.0 succeeded in the grid",
               lambda: "3.0" in text_of("cell-slow--test") and "succeeded" in text_of("cell-slow--test"))
    seen["slow_after"] = text_of("cell-slow--test")

    api("POST", "/api/v1/deployments", {"project": "web", "environment": "test", "version": "2.0"})
    wait_until("web 2.0 succeeded in the grid",
               lambda: "2.0" in text_of("cell-web--test") and "succeeded" in text_of("cell-web--test"))
    seen["web_after"] = text_of("cell-web--test")
    seen["grid_reloaded"] = driver.execute_script("return window.landerMarker") != "same page"
    driver.save_screenshot(os.path.join(shots, "grid.png"))

    # The cell's link, read at once (a pushed update may replace the element between a find and a click).
    link = driver.execute_script("return document.querySelector('#cell-web--test a').href")
    seen["cell_links_to"] = link.replace(base, "")
    driver.get(link)
    wait_until("the deployment page", lambda: driver.find_elements(By.ID, "log"))
    seen["page_title"] = driver.find_element(By.TAG_NAME, "h1").text
    seen["log_line"] = next((span.text for span in driver.find_elements(By.CSS_SELECTOR, "#log span")
                             if span.get_attribute("data-target") == "w-1"), "")
    seen["build_on_w1"] = text_of("ts-build--w-1")
    driver.save_screenshot(os.path.join(shots, "deployment.png"))

    # A deployment followed live on its page: it waits in its step until the release file is back.
    os.remove(os.path.join(workspace, "release"))
    started = os.path.join(workspace, "slow-started")
    if os.path.exists(started): os.remove(started)
    held = api("POST", "/api/v1/deployments", {"project": "slow", "environment": "test", "version": "4.0"})["id"]
    while not os.path.exists(started): time.sleep(0.05)
    driver.get(f"{base}/deployments/{held}")
    driver.execute_script("window.landerMarker = 'same page';")
    seen["held_state"] = text_of("state")
    seen["held_hold"] = text_of("ts-hold--s-1")
    open(os.path.join(workspace, "release"), "w").close()
    wait_until("the held deployment's page showing it succeeded", lambda: text_of("state") == "succeeded")
    seen["held_done"] = text_of("ts-done--s-1")
    seen["held_reloaded"] = driver.execute_script("return window.landerMarker") != "same page"
    driver.save_screenshot(os.path.join(shots, "followed.png"))
    print(json.dumps(seen))
finally:
    driver.quit()
