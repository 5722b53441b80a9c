#!/usr/bin/env python
"""Open every page of the built docs site (`_docs/`) in headless Chromium and fail on what a reader would hit.

The site is served by Python's http.server on 127.0.0.1 (a free port, in a thread); Playwright drives Debian's
Chromium (`/usr/bin/chromium`, or $CHROMIUM) in a fresh profile. A problem is any of:
- a console error or an uncaught page error; a local request that failed or answered >= 400;
- a request to any address but this machine's loopback (it is blocked, and reported);
- an image that did not load (`naturalWidth` 0); math that KaTeX could not render (`.katex-error`), or KaTeX's
  fonts not loaded on a page with math;
- an internal link to a page or file we do not serve, or to an `#anchor` that the target page lacks; an absolute
  link to our own published site (it should be relative).
Screenshots of the index and of one chapter (the first, in sidebar order, with math and a figure) go to
`_docs/screenshots/`. Exit status 1 and a list of the problems, page by page, when there is any.

Usage: `python tools/check_docs.py [--docs _docs]`; `make docs-check` runs it (after `make docs`).
"""
import argparse, functools, http.server, os, sys, tempfile, threading, time
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync']
LOCAL_HOSTS = {'127.0.0.1', 'localhost', '::1', '[::1]'}
SHOTS = 'screenshots'

# What a page shows once loaded: broken images, ids, links, math, fonts (all from the live DOM).
PAGE_STATE = """async () => {
  await document.fonts.ready;
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  const fonts = Array.from(document.fonts);
  return {
    title: document.title,
    broken_images: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => (i.currentSrc || i.src).slice(0, 120)),
    images: imgs.length,
    ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id)
           .concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.name)),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => [a.getAttribute('href'), a.href]),
    math: document.querySelectorAll('.katex').length,
    math_errors: Array.from(document.querySelectorAll('.katex-error')).map(e => (e.title || e.textContent).slice(0, 160)),
    katex_fonts_loaded: fonts.filter(f => f.family.replace(/"/g, '').startsWith('KaTeX') && f.status === 'loaded').length,
    sidebar: Array.from(document.querySelectorAll('nav.sidebar a[href]')).map(a => a.getAttribute('href')),
  };
}"""

def published_url():
    "Our own site's URL from nbdev's config (links to it should have been made relative), or None."
    try:
        from nbdev.config import get_config
        cfg = get_config()
        host, base = str(cfg.get('doc_host', '')).rstrip('/'), str(cfg.get('doc_baseurl', '')).strip('/')
        return f'{host}/{base}'.rstrip('/') if host else None
    except Exception: return None

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    def handle_error(self, request, client_address):  # a page closed mid-transfer is no problem of the site
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

def serve(docs):
    srv = _Server(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(docs)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f'http://127.0.0.1:{srv.server_address[1]}/'

def is_local(url):
    s = urlsplit(url)
    return s.scheme in ('data', 'blob', 'about') or (s.hostname or '') in LOCAL_HOSTS

def check(docs, shots=True):
    from playwright.sync_api import sync_playwright
    t0 = time.time()
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob('*.html') if SHOTS not in p.relative_to(docs).parts)
    if 'index.html' not in pages: raise SystemExit(f'{docs}/index.html is missing: run `make docs` first')
    if not Path(CHROMIUM).exists(): raise SystemExit(f'{CHROMIUM} is missing: apt-get install -y chromium')
    problems, states, offsite = defaultdict(list), {}, []
    srv, base = serve(docs)
    site = published_url()
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory(prefix='docs-check-profile-') as profile:
            ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                       chromium_sandbox=False, args=FLAGS,
                                                       viewport={'width': 1360, 'height': 900})
            def route(r):
                if is_local(r.request.url): r.continue_()
                else: offsite.append((r.request.frame.url if r.request.frame else '?', r.request.url)); r.abort()
            ctx.route('**/*', route)
            for name in pages:
                page, url = ctx.new_page(), base + name
                bad = problems[name]
                page.on('console', lambda m, bad=bad: bad.append(f'console {m.type}: {m.text[:300]}') if m.type == 'error' else None)
                page.on('pageerror', lambda e, bad=bad: bad.append(f'page error: {str(e)[:300]}'))
                page.on('requestfailed', lambda r, bad=bad: bad.append(f'request failed: {r.url[:160]} ({r.failure})')
                        if is_local(r.url) and not r.url.startswith('data:') else None)
                page.on('response', lambda r, bad=bad: bad.append(f'HTTP {r.status}: {r.url[:160]}') if r.status >= 400 else None)
                try:
                    resp = page.goto(url, wait_until='load', timeout=60_000)
                    if resp is None or not resp.ok: bad.append(f'could not load the page ({resp and resp.status})')
                    st = states[name] = page.evaluate(PAGE_STATE)
                except Exception as e:
                    bad.append(f'could not open: {e}'); page.close(); continue
                bad += [f'image did not load: {s}' for s in st['broken_images']]
                bad += [f'math not rendered: {m}' for m in st['math_errors']]
                if st['math'] and not st['katex_fonts_loaded']: bad.append("KaTeX's fonts did not load")
                page.close()
            if shots: screenshots(ctx, base, docs, pages, states)
            ctx.close()
    finally:
        srv.shutdown()
    for frame, req in offsite:
        problems[frame.removeprefix(base) or 'index.html'].append(f'request to a non-local address (blocked): {req[:160]}')
    n_links = check_links(docs, base, pages, states, problems, site)
    report = {k: v for k, v in problems.items() if v}
    for name in sorted(report):
        print(f'{name}:')
        for msg in dict.fromkeys(report[name]): print(f'  - {msg}')
    n = sum(len(dict.fromkeys(v)) for v in report.values())
    print(f'docs-check: {len(pages)} pages, {n_links} internal links, {sum(s["images"] for s in states.values())} images, '
          f'{sum(s["math"] for s in states.values())} formulas: {n} problem(s) in {time.time() - t0:.1f}s')
    return n

def check_links(docs, base, pages, states, problems, site):
    "Every internal link must reach a page or file we serve, and its #anchor an id on that page."
    n = 0
    for name, st in states.items():
        for raw, absolute in st['links']:
            if site and raw.startswith((site + '/', site + '#')) or raw == site:
                problems[name].append(f'absolute link to our own site (should be relative): {raw}')
                continue
            if not absolute.startswith(base): continue
            n += 1
            s = urlsplit(absolute)
            target = unquote(s.path[len(urlsplit(base).path):]) or 'index.html'
            if target.endswith('/'): target += 'index.html'
            if target not in pages:
                if not (docs/target).is_file(): problems[name].append(f'broken link: {raw} (no {target})')
                continue
            frag = unquote(s.fragment)
            if frag and target in states and frag not in states[target]['ids']:
                problems[name].append(f'broken anchor: {raw} (no id "{frag}" on {target})')
    return n

def screenshots(ctx, base, docs, pages, states):
    "The index, and the first chapter in reading order that shows both math and a figure (else the first one)."
    out = docs/SHOTS
    out.mkdir(exist_ok=True)
    order = [h for h in states.get('index.html', {}).get('sidebar', []) if h in states and h != 'index.html']
    order += [p for p in pages if p not in order and p != 'index.html']
    rich = [p for p in order if states.get(p, {}).get('math') and states.get(p, {}).get('images')]
    chapter = (rich or order or [None])[0]
    page = ctx.new_page()
    page.goto(base + 'index.html', wait_until='load'); page.screenshot(path=str(out/'index.png'))
    if chapter:
        stem = Path(chapter).stem
        page.goto(base + chapter, wait_until='load'); page.screenshot(path=str(out/f'{stem}.png'))
        page.evaluate("""() => { const el = document.querySelector('.output_png img') || document.images[0];
                                 if (el) el.scrollIntoView({block: 'center'}); }""")
        page.wait_for_timeout(200)
        page.screenshot(path=str(out/f'{stem}-figure.png'))
    page.close()
    print(f'docs-check: screenshots in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}/: '
          + ', '.join(sorted(p.name for p in out.glob('*.png'))))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--docs', default=str(ROOT/'_docs'), help='the built site (default _docs/)')
    ap.add_argument('--no-screenshots', action='store_true')
    a = ap.parse_args()
    sys.exit(1 if check(Path(a.docs).resolve(), shots=not a.no_screenshots) else 0)

if __name__ == '__main__': main()
