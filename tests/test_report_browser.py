#!/usr/bin/python3
"""The HTML report as a person would look at it: opened in headless Chromium.

Writes the 24-run fixture sweep (tests/test_analysis_fixture.py), makes its report with
`sweep report DIR` (the C program's subcommand, which runs the analysis package), then:

  - loads a copy of the page with a checker script put first in <head>: it records every
    script error and console.error, and on load writes into the DOM (which --dump-dom
    prints) how many images there are and how many loaded (naturalWidth > 0), the table's
    row count, and the table's order after clicks on its headers;
  - checks: no errors, every image loaded, one row per configuration, a click sorts a
    numeric column ascending then descending (missing values last), a text column in order,
    and # restores the grid order; no console error in Chromium's own log either;
  - saves a screenshot of the real page (SCREENSHOT, default report-screenshot.png) and checks
    it is not blank; prints the page to PDF and checks it has pages.

Usage: test_report_browser.py SWEEP_BINARY [SCREENSHOT]
Exit 0 / 1; 77 (skipped) when Chromium is not installed or cannot start here, with the reason.
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import h5py  # noqa: F401
    import matplotlib.image as mpimg
except ImportError as e:
    print("SKIP: %s; install Debian's python3-h5py python3-numpy python3-matplotlib" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_analysis_fixture as fx  # noqa: E402

TIMEOUT = 300            # seconds per Chromium call: generous, the machine may be busy

CHECKER = r"""<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push("error: " + (e.message || (e.target && (e.target.tagName + " " + String(e.target.src).slice(0, 60)))));
  }, true);
  window.addEventListener("unhandledrejection", function (e) { errors.push("rejection: " + e.reason); });
  var ce = console.error;
  console.error = function () { errors.push("console.error: " + Array.prototype.join.call(arguments, " ")); ce.apply(console, arguments); };
  window.addEventListener("load", function () {
    var r = {errors: errors};
    try {
      var imgs = Array.prototype.slice.call(document.images);
      r.images = imgs.length;
      r.loaded = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0 && i.naturalHeight > 0; }).length;
      var t = document.getElementById("summary");
      r.rows = t ? t.tBodies[0].rows.length : -1;
      var ths = t.tHead.rows[0].cells;
      var col = function (title) {
        for (var i = 0; i < ths.length; i++) if (ths[i].textContent === title) return i;
        return -1;
      };
      var values = function (i) {
        return Array.prototype.map.call(t.tBodies[0].rows, function (row) {
          var v = row.cells[i].getAttribute("data-v");
          return v === null ? row.cells[i].textContent : v === "" ? null : parseFloat(v);
        });
      };
      r.headers = Array.prototype.map.call(ths, function (h) { return h.textContent; });
      var num = col("best acc %"), txt = col("cell");
      ths[num].click(); r.num_asc = values(num); r.num_asc_sort = ths[num].getAttribute("aria-sort");
      ths[num].click(); r.num_desc = values(num); r.num_desc_sort = ths[num].getAttribute("aria-sort");
      ths[txt].click(); r.txt_asc = values(txt);
      ths[0].click(); r.grid = values(0);
    } catch (e) {
      errors.push("checker: " + e);
    }
    document.body.setAttribute("data-check", JSON.stringify(r));
  });
})();
</script>"""

failures = 0


def check(cond, what, detail=""):
    global failures
    print(("ok: %s" if cond else "FAIL: %s") % what + ("" if cond or not detail else "\n" + str(detail)[:3000]))
    failures += not cond


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium(binary, profile, *args):
    """Runs headless Chromium; (status, stdout, stderr)."""
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--user-data-dir=" + profile] + list(args)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timed out after %d s" % TIMEOUT


def ordered(vals, reverse=False):
    """Numbers in order with missing ones (None) last, whatever the direction."""
    present = [v for v in vals if v is not None]
    tail = vals[len(present):]
    return all(v is None for v in tail) and present == sorted(present, reverse=reverse)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    sweep = os.path.abspath(sys.argv[1])
    shot = os.path.abspath(sys.argv[2] if len(sys.argv) == 3 else "report-screenshot.png")
    binary = chromium_binary()
    if not binary:
        print("SKIP: Chromium is not installed (apt-get install chromium; bash .ci/setup installs it)")
        return 77
    tmp = tempfile.mkdtemp(prefix="report-browser.")
    try:
        profile = os.path.join(tmp, "profile")
        t0 = time.time()
        code, out, err = chromium(binary, profile, "--dump-dom", "data:text/html,<p id=probe>up</p>")
        if code != 0 or "probe" not in out:
            print("SKIP: Chromium cannot start here (%s, exit %s): %s"
                  % (binary, code, " | ".join(err.strip().splitlines()[-3:])))
            return 77
        print("Chromium starts (%.1f s): %s" % (time.time() - t0, binary))

        d = os.path.join(tmp, "sweep")
        rows = fx.write_sweep(d)
        configs = {(r[1]["task.kind"], r[1]["model.cell"], r[1]["task.seq_len"]) for r in rows}
        t0 = time.time()
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        p = subprocess.run([sweep, "report", d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, env=env, cwd=tmp)
        page = os.path.join(d, "report.html")
        check(p.returncode == 0 and os.path.exists(page), "sweep report DIR writes DIR/report.html (%.1f s)"
              % (time.time() - t0), p.stdout)
        if p.returncode != 0:
            return 1
        text = open(page, encoding="utf-8").read()
        nimg = text.count("<img ")
        checked = os.path.join(tmp, "checked.html")
        with open(checked, "w", encoding="utf-8") as f:
            f.write(text.replace("<head>", "<head>" + CHECKER, 1))

        t0 = time.time()
        code, dom, err = chromium(binary, profile, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
                                  "--dump-dom", "file://" + checked)
        m = re.search(r'data-check="([^"]*)"', dom)
        check(code == 0 and m, "Chromium loads the page and the checker reports (%.1f s)" % (time.time() - t0),
              err[-2000:])
        if not m:
            return 1
        r = json.loads(html.unescape(m.group(1)))
        check(r["errors"] == [], "no script error, no console.error: %s" % r["errors"])
        console = [ln for ln in err.splitlines() if "CONSOLE" in ln and ("rror" in ln or "Uncaught" in ln)]
        check(not console, "no console error in Chromium's log", "\n".join(console))
        check(r["images"] == nimg and r["loaded"] == nimg and nimg >= 5,
              "every image loaded: %d of %d (the file has %d)" % (r["loaded"], r["images"], nimg))
        check(r["rows"] == len(configs), "the table has one row per configuration: %d of %d" % (r["rows"], len(configs)))
        check(ordered(r["num_asc"]) and r["num_asc_sort"] == "ascending" and any(v is not None for v in r["num_asc"]),
              "a click on 'best acc %' sorts it ascending: " + str(r["num_asc"]))
        check(ordered(r["num_desc"], reverse=True) and r["num_desc_sort"] == "descending"
              and r["num_desc"] != r["num_asc"], "a second click descending: " + str(r["num_desc"]))
        check(r["txt_asc"] == sorted(r["txt_asc"]), "a text column sorts in order: " + str(r["txt_asc"]))
        check(r["grid"] == list(range(len(configs))), "# restores the grid order: " + str(r["grid"]))

        t0 = time.time()
        if os.path.exists(shot):
            os.remove(shot)
        code, _, err = chromium(binary, profile, "--hide-scrollbars", "--window-size=1200,2400",
                                "--screenshot=" + shot, "file://" + page)
        ok = code == 0 and os.path.exists(shot)
        if ok:
            a = mpimg.imread(shot)
            ok = a.shape[:2] == (2400, 1200) and float(a[..., :3].std()) > 0.05 \
                and float((a[:300, :, :3] < 0.5).mean()) > 0.002        # dark text near the top
        check(ok, "screenshot %s: 1200x2400, not blank (%.1f s)" % (shot, time.time() - t0), err[-1500:])

        t0 = time.time()
        pdf = os.path.join(tmp, "report.pdf")
        code, _, err = chromium(binary, profile, "--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + page)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", open(pdf, "rb").read())) if os.path.exists(pdf) else 0
        check(code == 0 and pages >= 3, "printed to PDF: %d pages (%.1f s)" % (pages, time.time() - t0), err[-1500:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
