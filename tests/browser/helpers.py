"""One person at one browser tab (the browser tests' shared helper; the fixtures are in conftest.py)."""

from __future__ import annotations

from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


class User:
    """One person at one browser tab."""

    def __init__(self, browser, base: str, username: str, test: str) -> None:
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.username = username
        self.test = test
        self.shots = 0

    def shot(self, label: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=str(ARTIFACTS / f"{self.test}-{self.username}-{self.shots:02d}-{label}.png"),
                             full_page=True)

    def login(self) -> User:
        self.page.goto(self.base + "/login")
        self.page.fill("#username", self.username)
        self.page.fill("#password", "demo-password")
        self.shot("login")
        self.page.click("button.primary")
        self.page.wait_for_url(self.base + "/")
        return self

    def inbox(self) -> list[str]:
        """Step names in 我的待办 and 待认领."""
        names = []
        for tab in ("mine", "claimable"):
            self.page.goto(f"{self.base}/?tab={tab}")
            names += self.page.locator("table.tasks td:nth-child(2) a").all_inner_texts()
        self.shot("inbox")
        return sorted(names)

    def open(self, step: str) -> None:
        for tab in ("mine", "claimable"):
            self.page.goto(f"{self.base}/?tab={tab}")
            link = self.page.get_by_role("link", name=step)
            if link.count():
                link.first.click()
                self.page.wait_for_selector("h1")
                self.shot("task")
                return
        raise AssertionError(f"{self.username} has no task {step}")

    def follow(self, locator) -> None:
        """Click a link or button that loads a page, and wait until that page has loaded: a plain click
        returns before the new page is parsed, and what is read next may be the old page or nothing."""
        with self.page.expect_navigation():
            locator.click()

    def choose(self, field: str, value: str) -> None:
        self.page.select_option(f"#f-{field}", value)

    def submit(self) -> None:
        self.shot("filled")
        self.page.click("button[value=submit]")
        self.page.wait_for_load_state()
        self.shot("after-submit")

    def close(self) -> None:
        self.context.close()
