"""Helpers for test_console.py: the whole system under supervisord, as deploy/run starts it
(the Procfile exported by honcho with our template), and a headless Chromium driven by
Selenium (both installed by `deploy/install --test`)."""
import shutil
import subprocess
import time
from pathlib import Path

import requests
from selenium import webdriver
from selenium.webdriver.common.by import By

from conftest import BIN, ROOT, free_port

TIMEOUT = 30.0


class System:
    """Every Procfile process under supervisord, on the cluster's private bus and data folder,
    the edge and the console on free ports."""

    def __init__(self, cluster, tmp_path: Path):
        self.cluster = cluster
        self.app = tmp_path / "app"
        (self.app / "deploy").mkdir(parents=True)
        shutil.copytree(ROOT / "deploy" / "supervisord", self.app / "deploy" / "supervisord")
        shutil.copy(ROOT / "deploy" / "supervisord.conf", self.app / "deploy" / "supervisord.conf")
        shutil.copy(ROOT / "Procfile", self.app / "Procfile")
        (self.app / ".run").mkdir()
        self.edge_port = free_port()
        self.console_port = free_port()
        self.env = dict(cluster.env, SWITCHBOARD_BIN=str(BIN), EDGE_PORT=str(self.edge_port),
                        CONSOLE_PORT=str(self.console_port))
        subprocess.run(["honcho", "export", "--app", "switchboard", "--app-root", str(self.app), "--user", "root",
                        "--template-dir", "deploy/supervisord", "supervisord", ".run"],
                       cwd=self.app, env=self.env, check=True, capture_output=True)
        self.conf = self.app / "deploy" / "supervisord.conf"
        self.log = open(tmp_path / "supervisord-output.log", "wb")
        self.supervisord = subprocess.Popen(["supervisord", "-c", str(self.conf)], cwd=self.app, env=self.env,
                                            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.console_port}/"
        self.edge_url = f"http://127.0.0.1:{self.edge_port}"

    def token(self) -> str:
        """The console's token, from its file (made on its first start)."""
        path = self.cluster.data / "console.token"
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            if path.exists() and path.read_text().strip():
                assert path.stat().st_mode & 0o777 == 0o600, oct(path.stat().st_mode)
                return path.read_text().strip()
            time.sleep(0.2)
        raise AssertionError(f"no {path}:\n{self.output()}")

    def wait_http(self):
        """Waits until the console answers (401 without its token)."""
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                return requests.get(self.url, timeout=2)
            except requests.ConnectionError:
                time.sleep(0.2)
        raise AssertionError(f"the console never answered on {self.url}:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self):
        self.supervisord.terminate()
        try:
            self.supervisord.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.supervisord.kill()
            self.supervisord.wait(timeout=10)


def browser(width=1400, height=1700):
    """Headless Chromium (Debian's chromium and chromium-driver), nothing downloaded."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def wait_until(condition, timeout=TIMEOUT, what="condition", poll=0.1):
    """Polls `condition` (exceptions count as not yet) until it returns something true."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # the page may be redrawing the element
            last = error
        time.sleep(poll)
    raise AssertionError(f"{what} not seen within {timeout}s (last error: {last})")


def service_rows(driver):
    """The services table as (service, instance, class, ready) tuples."""
    rows = driver.find_elements(By.CSS_SELECTOR, "#services tbody tr")
    return [(r.get_attribute("data-service"), r.get_attribute("data-instance"), r.get_attribute("class"),
             r.get_attribute("data-ready")) for r in rows]
