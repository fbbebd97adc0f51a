#!/usr/bin/python3
"""The live report as a person watches it: a real sweep with --report, its page open in
headless Chromium while it runs.

A sweep (tests/data/summary-tiny.yaml, one thread) runs with --report --report-every 1 and
a test hold (src/sweep/testhook.h) after its first run's file, so that it stays mid-sweep for
as long as the test needs. Chromium is driven over its DevTools pipe (--remote-debugging-pipe:
JSON messages on file descriptors 3 and 4, no network, no package beyond the standard
library). The test:
  - opens DIR/report.html once, while the sweep is held: the page is a live one (the pause
    switch, "1 complete", a running run in the running table or counted pending);
  - ticks the pause switch, scrolls, reloads: the switch is still ticked and the scroll
    position kept; unticks it;
  - releases the hold and, without navigating again, waits for the page to change by
    itself: it reloads and shows the sweep's last page (6 runs complete), which has no
    reload left (no switch, no refresh);
  - no script error, no console error, in the page or in Chromium's log.
Every wait is for an event (a line, a file, a page state) with a bound, never a fixed sleep.

Usage: test_report_live_browser.py SWEEP_BINARY CONFIG
Exit 0 / 1; 77 (skipped) without Chromium or h5py/numpy/matplotlib.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import numpy  # noqa: F401
    import h5py  # noqa: F401
    import matplotlib  # noqa: F401
except ImportError as e:
    print("SKIP: %s; install Debian's python3-h5py python3-numpy python3-matplotlib" % e)
    sys.exit(77)

LIMIT = 240.0     # seconds any one awaited event may take on a busy machine


class Chromium:
    """Headless Chromium over --remote-debugging-pipe (fd 3: commands in, fd 4: replies)."""

    def __init__(self, binary, profile):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)
        os.makedirs(profile, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--user-data-dir=" + profile, "--remote-debugging-pipe", "--allow-file-access-from-files",
             "--window-size=1200,900", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4, to_child_r, from_child_w), stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(profile, "chromium.log"), "w"))
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf, self.next_id, self.events = b"", 0, []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable", session=True)

    def _read(self, deadline):
        import select
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_child], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium ended")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=False, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + LIMIT
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    # What Chromium answers when an evaluation meets the page in the middle of reloading itself,
    # as the live page does: no value yet, ask again.
    NAVIGATING = ("navigated or closed", "Cannot find context", "Execution context was destroyed")

    def js(self, expr):
        try:
            r = self.call("Runtime.evaluate", session=True, expression=expr, returnByValue=True)
        except RuntimeError as e:
            if any(n in str(e) for n in self.NAVIGATING):
                return None
            raise
        if "exceptionDetails" in r:
            return None
        return r["result"].get("value")

    def pump(self):
        """Takes the events that came meanwhile (a cheap call: the answer brings them in)."""
        self.js("1")

    def errors(self):
        out = []
        for m in self.events:
            p = m.get("params", {})
            if m.get("method") == "Runtime.exceptionThrown":
                out.append("exception: %s" % p.get("exceptionDetails", {}).get("text"))
            elif m.get("method") == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append("console.error: %s" % [a.get("value") for a in p.get("args", [])])
            elif m.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: %s" % p["entry"].get("text"))
        return out

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def await_(what, cond, poll=None):
    """Waits for cond() to hold (polling, bounded by LIMIT); fails naming `what`."""
    end = time.time() + LIMIT
    while time.time() < end:
        v = cond()
        if v:
            return v
        if poll:
            poll()
        time.sleep(0.1)
    raise AssertionError("waited %.0f s for %s" % (LIMIT, what))


STATE = ("JSON.stringify({final: !!document.querySelector('#live') && !document.getElementById('live-pause'),"
         " text: (document.querySelector('.live-state') || {}).textContent || '',"
         " paused: (document.getElementById('live-pause') || {}).checked || false,"
         " noscript: document.querySelectorAll('noscript').length, y: window.scrollY,"
         " height: document.body ? document.body.scrollHeight : 0, ready: document.readyState})")


def main():
    sweep, config = sys.argv[1], sys.argv[2]
    binary = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
    if not binary:
        print("SKIP: Chromium is not installed (apt-get install chromium; bash .ci/setup installs it)")
        return 77
    work = tempfile.mkdtemp(prefix="report-live-")
    sw = browser = None
    checks = []

    def check(what, ok):
        checks.append(ok)
        print("%s: %s" % ("ok" if ok else "FAIL", what))

    try:
        d, release, err = os.path.join(work, "runs"), os.path.join(work, "release"), os.path.join(work, "sweep.err")
        env = dict(os.environ, SWEEP_TEST_HOLD="run:1", SWEEP_TEST_RELEASE=release, OMP_NUM_THREADS="1")
        sw = subprocess.Popen([sweep, config, "-o", d, "-j", "1", "--report", "--report-every", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(err, "w"))
        page = os.path.join(d, "report.html")
        await_("the sweep's test hold", lambda: "test hold at" in open(err).read())
        await_("a live page with the first run",
               lambda: os.path.exists(page) and "1 complete" in open(page).read())
        try:
            browser = Chromium(binary, os.path.join(work, "profile"))
        except (TimeoutError, RuntimeError, StopIteration, OSError) as e:
            print("SKIP: Chromium does not start here (%s)" % e)
            return 77
        browser.call("Page.navigate", session=True, url="file://" + os.path.abspath(page))
        state = lambda: json.loads(browser.js(STATE) or "{}")    # noqa: E731
        s = await_("the page to load", lambda: (lambda x: x if x.get("ready") == "complete" else None)(state()))
        check("the page opened mid-sweep is live (pause switch, reload, '1 complete'): %r" % s["text"][:90],
              not s["final"] and "1 complete" in s["text"] and s["noscript"] == 1)
        # the pause switch and the scroll position survive a reload
        # Actions are idempotent and repeated until seen: the page may be reloading itself when
        # one is sent (it then answers nothing and the action is lost).
        await_("the pause switch ticked", lambda: browser.js(
            "(function () { var b = document.getElementById('live-pause'); if (!b) return null;"
            " if (!b.checked) b.click(); window.scrollTo(0, 400); return b.checked; })()"))
        browser.js("location.reload()")
        s = await_("the reloaded page", lambda: (lambda x: x if x.get("ready") == "complete" and x.get("paused")
                                                 is not None else None)(state()))
        # (the state read just after location.reload() may still be the old page's: wait for the
        # new one to say it is paused, or fail after the limit)
        paused_text = lambda: browser.js(   # noqa: E731
            "(function () { var p = document.getElementById('live-paused'), b = document.getElementById('live-pause');"
            " return document.readyState == 'complete' && b && b.checked && p ? p.textContent : null; })()")
        try:
            held_paused = "paused" in await_("the reloaded page to say it is paused", paused_text)
        except AssertionError:
            held_paused = False
        check("the pause switch holds across a reload", s["paused"] is not None and held_paused)
        check("the scroll position is kept (%s of 400)" % s["y"], s["height"] < 1300 or abs(s["y"] - 400) < 2)
        unticked = lambda: browser.js(   # noqa: E731
            "(function () { var b = document.getElementById('live-pause'); if (!b) return null;"
            " if (b.checked) b.click(); return !b.checked; })()")
        check("unticked, it reloads again", await_("the pause switch unticked", unticked))
        # the sweep goes on: the page must change by itself, up to its last page
        open(release, "w").close()
        s = await_("the page to reload by itself into the last page",
                   lambda: (lambda x: x if x.get("final") else None)(state()), poll=browser.pump)
        check("the page changed by itself into the last one: %r" % s["text"][:90],
              "6 runs complete" in s["text"] and "no longer reloads" in s["text"])
        check("the last page has no reload (no noscript refresh, no switch)", s["noscript"] == 0)
        check("the sweep ended well", sw.wait(timeout=LIMIT) == 0)
        text = open(page).read()
        check("the file on disk is the last page", 'http-equiv="refresh"' not in text and "Final page" in text)
        browser.pump()
        errs = browser.errors()
        check("no script or console error%s" % (": %s" % errs if errs else ""), not errs)
    except AssertionError as e:
        print("FAIL: %s" % e)
        checks.append(False)
    finally:
        if browser:
            browser.close()
        if sw and sw.poll() is None:
            open(os.path.join(work, "release"), "w").close()
            sw.terminate()
            sw.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (sum(checks), len(checks) - sum(checks)))
    return 0 if checks and all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
