#!/usr/bin/env python3
"""The server and the verdict of .ci/docs-browser.sh.

  browser-check-server.py SITE_DIR WORK_DIR   serves SITE_DIR on 127.0.0.1 (a free port, written to WORK_DIR/port),
                                              plus the check page /__check.html, whose report (POST /__result) is
                                              written to WORK_DIR/result.json.
  browser-check-server.py --verdict RESULT    prints the report and exits 1 when a check failed.
"""
import functools
import http.server
import json
import os
import sys

# What the browser must find: each page's title and a line of its compiled snippet; each query's first search result.
PAGES = [
    {"url": "/guides/getting-started.html", "title": "Getting started", "code": "client.Commands.QueryStatusAsync()"},
    {"url": "/guides/howto-events.html", "title": "How to watch events", "code": "client.WaitForEventAsync<ResumeEvent>()"},
]
SEARCHES = [
    {"query": "blockdev-add", "first": "blockdev-add: QapiCommands.BlockdevAddAsync"},
    {"query": "BLOCK_JOB_READY", "first": "BLOCK_JOB_READY: Class BlockJobReadyEvent"},
]

CHECK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>docs browser check</title></head>
<body><pre id="log"></pre>
<script>
const PAGES = %(pages)s, SEARCHES = %(searches)s;
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function until(probe, ms) {
  const end = Date.now() + ms;
  for (;;) {
    try { const v = probe(); if (v) return v; } catch (e) { }
    if (Date.now() > end) return null;
    await sleep(100);
  }
}
function frame(url) {
  return new Promise(resolve => {
    const f = document.createElement('iframe');
    f.style.width = '1280px'; f.style.height = '900px';
    f.onload = () => resolve(f);
    f.src = url;
    document.body.appendChild(f);
  });
}
async function run() {
  const report = { pages: [], searches: [] };
  let searchFrame = null;
  for (const p of PAGES) {
    const status = (await fetch(p.url, { cache: 'no-store' })).status;
    const f = await frame(p.url);
    const doc = f.contentDocument;
    const title = await until(() => doc.querySelector('article h1').textContent.trim(), 15000);
    const code = await until(() => [...doc.querySelectorAll('pre code')].some(c => c.textContent.includes(p.code)), 15000);
    report.pages.push({ url: p.url, status, title, code: !!code });
    searchFrame = searchFrame || f;
  }
  const w = searchFrame.contentWindow, doc = searchFrame.contentDocument;
  report.searchReady = !!(await until(() => w.docfx && w.docfx.searchReady, 60000));
  for (const s of SEARCHES) {
    const box = doc.getElementById('search-query');
    w.docfx.searchResultReady = false;
    box.value = s.query;
    box.dispatchEvent(new Event('input'));
    await until(() => w.docfx.searchResultReady, 30000);
    const titles = await until(() => {
      const items = [...doc.querySelectorAll('#search-results .sr-item .item-title')].map(e => e.textContent.trim());
      return items.length ? items : null;
    }, 5000);
    report.searches.push({ query: s.query, results: (titles || []).slice(0, 5) });
  }
  return report;
}
run().catch(e => ({ error: String(e && e.stack || e) })).then(report =>
  fetch('/__result', { method: 'POST', body: JSON.stringify(report) }));
</script></body></html>
"""


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, work, **kwargs):
        self.work = work
        super().__init__(*args, **kwargs)

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/__check.html":
            body = (CHECK_PAGE % {"pages": json.dumps(PAGES), "searches": json.dumps(SEARCHES)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            super().do_GET()

    def do_POST(self):
        if self.path != "/__result":
            self.send_error(404)
            return
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        partial = os.path.join(self.work, "result.json.part")
        with open(partial, "wb") as f:
            f.write(data)
        os.replace(partial, os.path.join(self.work, "result.json"))
        self.send_response(204)
        self.end_headers()


def serve(site, work):
    handler = functools.partial(Handler, directory=site, work=work)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(os.path.join(work, "port"), "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


def verdict(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    failures = []
    if "error" in report:
        failures.append("the check page failed: " + report["error"])
    pages = {p["url"]: p for p in report.get("pages", [])}
    for want in PAGES:
        got = pages.get(want["url"], {})
        print(f"docs-browser: {want['url']}: HTTP {got.get('status')}, title {got.get('title')!r}, snippet shown: {got.get('code')}")
        if got.get("status") != 200 or got.get("title") != want["title"] or not got.get("code"):
            failures.append(f"{want['url']} is missing or does not show its title and snippet")
    if not report.get("searchReady"):
        failures.append("the site's search never became ready")
    searches = {s["query"]: s for s in report.get("searches", [])}
    for want in SEARCHES:
        results = searches.get(want["query"], {}).get("results", [])
        print(f"docs-browser: search {want['query']!r}: {results}")
        if not results:
            failures.append(f"the search for {want['query']!r} found nothing")
        elif not results[0].startswith(want["first"]):
            failures.append(f"the search for {want['query']!r} lists {results[0]!r} first, not {want['first']!r}")
    for failure in failures:
        print("docs-browser: FAILED: " + failure, file=sys.stderr)
    if failures:
        sys.exit(1)
    print("docs-browser: pages and search passed in headless Chromium")


if __name__ == "__main__":
    if sys.argv[1] == "--verdict":
        verdict(sys.argv[2])
    else:
        serve(sys.argv[1], sys.argv[2])
