"""Browser seats: ``endgame host --web`` serves the seat app through textual-serve; a tab joins with
its code, shows its role's dashboard and ends a turn.

Two checks: one speaks the browser page's own WebSocket protocol to textual-serve (keys in, the
app's terminal output back), so it runs wherever the package does; the other drives a real headless
Chromium (the distribution's package) and is skipped, saying so, when no Chromium is installed.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest

from endgame_game.net.client import SeatClient
from tests.test_net import MINI, HostProcess, start_host

ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 90) -> None:
    import urllib.request

    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > end:
                raise
        time.sleep(0.3)


@pytest.fixture
def web_host(tmp_path: Path):
    port = free_port()
    host = start_host(tmp_path, str(MINI), "--seed", "2", "--web", "--web-port", str(port))
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        yield host, port
    finally:
        host.stop()


class Tab:
    """What a browser tab does with textual-serve: open /ws, send keys, read the terminal output."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.screen = ws, ""

    async def wait_for(self, *texts: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not all(t in ANSI.sub("", self.screen) for t in texts):
            left = end - time.monotonic()
            if left <= 0:
                tail = ANSI.sub("", self.screen)[-800:]
                raise AssertionError(f"never showed {texts}; last output: {tail!r}")
            try:
                msg = await self.ws.receive(timeout=left)
            except TimeoutError:
                continue
            if msg.type == aiohttp.WSMsgType.BINARY:
                self.screen += msg.data.decode("utf-8", "replace")
            elif msg.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"the served app closed: {msg}")

    async def keys(self, text: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", text]))

    def clear(self) -> None:
        self.screen = ""


async def _served_seat(host: HostProcess, port: int) -> None:
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30") as ws:
        tab = Tab(ws)
        await tab.wait_for("Join a hosted game")  # the terminal check no longer stops a served app
        await tab.keys(host.codes["blue"])
        await tab.keys("\r")
        await tab.wait_for("Blue", "Your resources", "End turn", "intelligence estimates")
        async with SeatClient(host.address, host.codes["umpire"]) as ump:
            v = await ump.next_view()
            assert "Blue" in v["waiting"]
            await tab.keys("e")
            await tab.wait_for("End Blue's turn?")
            await tab.keys("y")
            v = await ump.next_view(lambda v: "Blue" not in v["waiting"], timeout=30)
            assert v["waiting"] == ["Red"] and v["turn"] == 1


def test_a_served_browser_seat_shows_its_dashboard_and_ends_a_turn(web_host):
    host, port = web_host
    asyncio.run(_served_seat(host, port))


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


# Installed before the page's own scripts: keeps what the page's WebSocket receives (the app's
# terminal output), so the test can read what the tab shows without reading the canvas.
RECORD = """
(() => {
  const Real = window.WebSocket;
  window.__out = [];
  window.WebSocket = function (...args) {
    const ws = new Real(...args);
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string") return;
      if (e.data instanceof Blob) { e.data.text().then((t) => window.__out.push(t)); }
      else { window.__out.push(new TextDecoder().decode(e.data)); }
    });
    return ws;
  };
  window.WebSocket.prototype = Real.prototype;
  Object.assign(window.WebSocket, Real);
})();
"""


class DevTools:
    """The Chrome DevTools protocol on one page, over its WebSocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.n = ws, 0

    async def call(self, method: str, **params: object) -> dict:
        self.n += 1
        await self.ws.send_json({"id": self.n, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json(timeout=60)
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))

    async def shown(self) -> str:
        r = await self.call("Runtime.evaluate", expression="(window.__out || []).join('')", returnByValue=True)
        return ANSI.sub("", str(r.get("result", {}).get("value", "")))

    async def wait_for(self, *texts: str, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while True:
            seen = await self.shown()
            if all(t in seen for t in texts):
                return
            if time.monotonic() > end:
                raise AssertionError(f"the tab never showed {texts}: {seen[-600:]!r}")
            await asyncio.sleep(0.5)

    async def type(self, text: str) -> None:
        await self.call("Input.insertText", text=text)

    async def enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                            windowsVirtualKeyCode=13, **({"text": "\r"} if kind == "keyDown" else {}))


async def _chromium_seat(exe: str, host: HostProcess, port: int, profile: Path) -> None:
    debug = free_port()
    proc = subprocess.Popen([exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             f"--user-data-dir={profile}", f"--remote-debugging-port={debug}",
                             "--window-size=1200,800", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as http:
            end = time.monotonic() + 60
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{debug}/json/list") as r:
                        pages = [t for t in await r.json() if t.get("type") == "page"]
                    if pages:
                        break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > end:
                    raise AssertionError("Chromium's DevTools did not come up")
                await asyncio.sleep(0.3)
            async with http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = DevTools(ws)
                await page.call("Page.enable")
                await page.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD)
                await page.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
                await page.wait_for("Join a hosted game")
                await page.call("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
                await page.type(host.codes["blue"])
                await page.enter()
                await page.wait_for("Your resources", "intelligence estimates", "End turn")
                async with SeatClient(host.address, host.codes["umpire"]) as ump:
                    v = await ump.next_view()
                    assert "blue" in v["seats"] and "Blue" in v["waiting"]
                    await page.type("e")
                    await page.wait_for("End Blue's turn?")
                    await page.type("y")
                    v = await ump.next_view(lambda v: "Blue" not in v["waiting"], timeout=30)
                    assert v["waiting"] == ["Red"]
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.skipif(_chromium() is None, reason="no Chromium installed (Debian: apt-get install -y chromium)")
def test_headless_chromium_joins_a_served_seat_and_ends_a_turn(web_host, tmp_path: Path):
    host, port = web_host
    exe = _chromium()
    assert exe is not None
    asyncio.run(_chromium_seat(exe, host, port, tmp_path / "chromium"))
