#!/usr/bin/env python
"""Build the documentation site `_docs/` from the notebooks in `nbs/`, offline, without executing anything.

Where `quarto` is on PATH this is the nbdev way, `nbdev-docs`. Elsewhere (Quarto is not installable here):

1. `nbdev-proc-nbs` writes `_proc/`: `#| hide` cells gone, `show_doc` cells added and their stored Markdown output
   kept, the `# Title` / `> summary` of each notebook moved into YAML front matter (with nbdev's `output-file`).
2. Each `_proc/*.ipynb` is rendered with nbconvert's `HTMLExporter` (its `basic` template: the cells only) and put
   into a page of our own: a sidebar with every chapter in reading order (index first, then the file-name order of
   the notebooks), the chapter's title and summary, a table of contents, previous/next links.
3. Links to our own published site (`doc_host` + `doc_baseurl` from nbdev's config) and relative `*.ipynb` links
   become relative links to the generated pages; every heading gets a Quarto-style id, and each `show_doc` heading
   the id nbdev's doc links use (the symbol's name, lower-cased), so `page.html#symbol` resolves.
4. Math (`$...$`, `$$...$$`, LaTeX environments, `text/latex` outputs) is rendered at build time by KaTeX under
   Node.js; the pages carry KaTeX's unmodified CSS and fonts in `_docs/_static/katex/` and need no JavaScript and
   no network when viewed.

Why nbconvert: it is already installed (the dev extra, and `make readme` uses it), it is Jupyter's own maintained
converter, and it renders every kind of output these notebooks store (PNG figures as data URIs, `text/markdown` from
`show_doc` through mistune, `text/html` tables, `text/latex`, ANSI streams, Pygments-highlighted inputs) without
executing a cell. What a documentation site needs beyond that (layout, ids, link rewriting) is a BeautifulSoup pass.
Why KaTeX at build time: pinned and fetched once with `npm pack` into a cache beside the virtual environment (no
CDN, no JavaScript in the pages, math errors reported by the build); MathJax 3 in Node would need a bundler step.

Usage: `python tools/build_docs.py [--out _docs] [--no-proc]`; `make docs` runs it.
"""
import argparse, html, json, os, re, shutil, subprocess, sys, tarfile, tempfile, time
from pathlib import Path

import nbformat, yaml
from bs4 import BeautifulSoup
from jinja2 import pass_context
from nbconvert import HTMLExporter
from mistune import HTMLRenderer
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from pygments.formatters import HtmlFormatter

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KATEX_VERSION = '0.19.1'
STATIC = '_static'

def log(*a): print('[docs]', *a, flush=True)

# ---------------------------------------------------------------- configuration and notebook discovery
def site_config():
    "Title, description, published URL and repository of the site, from nbdev's config (pyproject/settings)."
    from nbdev.config import get_config
    cfg = get_config()
    host, base = str(cfg.get('doc_host', '')).rstrip('/'), str(cfg.get('doc_baseurl', '')).strip('/')
    url = f'{host}/{base}'.rstrip('/') if host else ''
    return dict(title=cfg.get('title', None) or cfg.lib_name, description=cfg.get('description', ''),
                url=url, repo=cfg.get('git_url', ''), nbs=Path(cfg.nbs_path), lib=cfg.lib_name)

def reading_order(names):
    "index first, then the notebooks in the order of their file names."
    return sorted(names, key=lambda n: (Path(n).stem != 'index', n))

def discover(nbs, proc):
    "The processed notebooks to render: those of `nbs/` (not `_`/`.`-prefixed) that `_proc/` holds."
    src = {p.name for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.'))}
    nested = [p for p in nbs.glob('*/**/*.ipynb') if '.ipynb_checkpoints' not in p.parts and not any(
        s.startswith(('_', '.')) for s in p.relative_to(nbs).parts)]
    if nested: log('warning: notebooks in sub-folders are not rendered:', ', '.join(str(p.relative_to(nbs)) for p in nested))
    missing = sorted(n for n in src if not (proc/n).exists())
    if missing: raise SystemExit(f'_proc/ lacks {missing}: did nbdev-proc-nbs run?')
    return [proc/n for n in reading_order(src)]

# ---------------------------------------------------------------- notebook pre-processing
FRONT = re.compile(r'\A\s*---\s*\n(.*?)\n---\s*$', re.S)
DIRECTIVE = re.compile(r'^\s*#\|\s?(.*)$')

def front_matter(nb):
    "Pop the YAML front matter raw cell that nbdev-proc-nbs writes; {} if there is none."
    for i, c in enumerate(nb.cells[:3]):
        m = FRONT.match(c.source) if c.cell_type == 'raw' else None
        if m:
            nb.cells.pop(i)
            return yaml.safe_load(m.group(1)) or {}
    return {}

def title_from_cells(nb):
    "Fallback when there is no front matter: the first `# Title` heading and the `> summary` under it (removed)."
    for c in nb.cells:
        if c.cell_type != 'markdown': continue
        lines = c.source.splitlines()
        for i, l in enumerate(lines):
            if l.startswith('# '):
                title, j, summary = l[2:].strip(), i + 1, []
                while j < len(lines) and not lines[j].strip(): j += 1
                while j < len(lines) and lines[j].startswith('>'): summary.append(lines[j].lstrip('> ').strip()); j += 1
                c.source = '\n'.join(lines[:i] + lines[j:])
                return title, ' '.join(summary)
        return None, ''
    return None, ''

def directives(source):
    "Split the leading `#|` lines off a code cell: ({option: value}, remaining source)."
    opts, lines = {}, source.splitlines()
    i = 0
    while i < len(lines) and (DIRECTIVE.match(lines[i]) or not lines[i].strip()):
        m = DIRECTIVE.match(lines[i])
        if m and m.group(1).strip():
            k, sep, v = m.group(1).partition(':')
            k, v = k.strip().lower(), v.strip()
            if not sep:  # nbdev style `#| export mod` / `#| hide`
                k, _, v = m.group(1).strip().partition(' ')
                k, v = k.lower(), v.strip() or True
            elif v.lower() in ('true', 'false'): v = v.lower() == 'true'
            opts[k] = v
        i += 1
    # a `#|` line later in the cell (nbdev allows them after comments) is not shown either
    rest = [l for l in lines[i:] if not DIRECTIVE.match(l)]
    return opts, '\n'.join(rest).strip('\n')

LINK_ATTRS = re.compile(r'\[([^\]\n]*)\]\(([^)\s]+)\)\{([^}\n]*)\}')
ATTR = re.compile(r'([\w-]+)=(?:"([^"]*)"|\'([^\']*)\'|(\S+))')
HEADING_ID = re.compile(r'^(#{1,6} .*?)\s*\{#([\w.:-]+)[^}]*\}\s*$', re.M)
DIV_OPEN = re.compile(r'^:::+\s*\{?\s*\.?([\w-]+)?[^}\n]*\}?\s*$')

def quarto_markdown(md):
    "The bits of Quarto's Markdown that mistune lacks: `[t](u){attrs}`, `# H {#id}` and `:::` divs."
    def link(m):
        text, url, attrs = m.groups()
        kv = {a.group(1): next(v for v in a.groups()[1:] if v is not None) for a in ATTR.finditer(attrs)}
        classes = ' '.join(c[1:] for c in attrs.split() if c.startswith('.'))
        extra = ''.join(f' {k}="{html.escape(v)}"' for k, v in kv.items() if k in ('target', 'title', 'style'))
        if kv.get('target') == '_blank': extra += ' rel="noopener"'
        if classes: extra += f' class="{html.escape(classes)}"'
        return f'<a href="{html.escape(url)}"{extra}>{text}</a>'
    md = LINK_ATTRS.sub(link, md)
    md = HEADING_ID.sub(lambda m: f'{m.group(1)} <span id="{m.group(2)}" class="explicit-id"></span>', md)
    out, depth, fence = [], 0, False
    for l in md.split('\n'):
        if l.lstrip().startswith(('```', '~~~')): fence = not fence
        m = None if fence else DIV_OPEN.match(l)
        if m and m.group(1):
            depth += 1
            out += [f'<div class="callout {html.escape(m.group(1))}">', '']
        elif m and depth:
            depth -= 1
            out += ['', '</div>']
        else: out.append(l)
    return '\n'.join(out + ['', '</div>'] * depth)

SHOW_DOC_HEAD = re.compile(r'^(#{1,6})\s+(.+?)\s*$', re.M)

def show_doc_markdown(md):
    "Give the symbol heading of a `show_doc` output the id nbdev's doc links use: the name, lower-cased."
    def head(m):
        level, name = len(m.group(1)), m.group(2)
        plain = re.sub(r'\\(.)', r'\1', name.strip('`* '))
        return f'<h{level} id="{html.escape(plain.lower())}" class="doc-title"><code>{html.escape(plain)}</code></h{level}>\n'
    return SHOW_DOC_HEAD.sub(head, md, count=1)

def _defined(source):
    "Top-level names a code cell defines (for matching an export cell with the show_doc of its names)."
    import ast
    try: tree = ast.parse(source)
    except SyntaxError: return set()
    names = set()
    for t in tree.body:
        if isinstance(t, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): names.add(t.name)
        elif isinstance(t, (ast.Assign, ast.AnnAssign)):
            for tg in (t.targets if isinstance(t, ast.Assign) else [t.target]):
                names |= {n.id for n in ast.walk(tg) if isinstance(n, ast.Name)}
    return names

def _norm(c):
    "A cell's text as it survives nbdev-proc-nbs: doc links (`[x](url)` -> x) and `#|` lines do not count."
    s = re.sub(r'\]\([^)]*\)', '', c.source)
    s = re.sub(r'^\s*#\|.*$', '', s, flags=re.M)
    return re.sub(r'[\s\[]+', ' ', s).strip()

SHOW_DOC_OF = re.compile(r'^\s*show_doc\(\s*([\w.]+)', re.M)
EXPORT_KINDS = {'export': 'Exported source', 'exporti': 'Internal source (`#| exporti`)'}

def restore_exports(nb, src_path):
    """nbdev-proc-nbs drops `#| export` / `#| exporti` cells (the show_doc under each documents its API). Put their
    code back, folded, in front of the show_doc of a name they define, else where they stood among the kept cells."""
    try: src = nbformat.from_dict(json.loads(src_path.read_text()))  # no validation: nbdev-clean drops cell ids
    except (OSError, ValueError): return nb
    for oc in src.cells:
        if isinstance(oc.source, list): oc.source = ''.join(oc.source)
    cells, pos = nb.cells, 0
    while pos < len(cells) and (cells[pos].cell_type == 'raw' or 'AUTOGENERATED' in cells[pos].source): pos += 1
    for oc in src.cells:
        if oc.cell_type == 'raw': continue
        opts, body = directives(oc.source) if oc.cell_type == 'code' else ({}, oc.source)
        kind = next((k for k in EXPORT_KINDS if k in opts), None)
        if oc.cell_type == 'code' and (opts.keys() & {'hide', 'default_exp'} or opts.get('include') is False):
            continue
        if kind and body.strip():
            names = _defined(body)
            at = next((k for k in range(pos, len(cells)) if cells[k].cell_type == 'code' and any(
                m.split('.')[0] in names for m in SHOW_DOC_OF.findall(cells[k].source))), pos)
            mod = opts[kind] if isinstance(opts[kind], str) else None
            new = nbformat.v4.new_code_cell('\n'.join([f'#| {kind}{" " + mod if mod else ""}', '#| code-fold: true',
                                                       f'#| code-summary: {EXPORT_KINDS[kind]}', body]))
            cells.insert(at, new)
            pos = at + 1
            continue
        if kind: continue
        key = _norm(oc)
        k = next((k for k in range(pos, len(cells)) if cells[k].cell_type == oc.cell_type and _norm(cells[k]) == key), None)
        if k is not None: pos = k + 1
    return nb

CELL_KEYS = {'cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count', 'attachments'}

def prepare(nb, lib, default_exp):
    """Apply the cell options Quarto would (`echo`, `output`, `include`, `code-fold`, `code-summary`), strip the `#|`
    lines, and note per cell id how to fold and label it: {'cell-id=ID': {'fold': .., 'summary': .., 'label': ..}}."""
    cells, info = [], {}
    for c in nb.cells:
        has_sd = bool(c.pop('has_sd', False))  # nbdev marks its show_doc cells; not a key nbformat allows
        for k in [k for k in c if k not in CELL_KEYS]: c.pop(k)
        c.metadata.pop('execution', None)  # execnb's timings, with numbers where nbformat wants strings
        if c.cell_type == 'markdown':
            c.source = quarto_markdown(c.source)
        elif c.cell_type == 'code':
            opts, c.source = directives(c.source)
            tags = set(c.metadata.get('tags', []))
            if opts.get('include') is False or 'hide' in opts or 'remove-cell' in tags: continue
            is_doc = has_sd or bool(re.match(r'\s*show_doc\(', c.source))
            if opts.get('echo') is False or is_doc or 'remove-input' in tags: c.metadata['transient'] = {'remove_source': True}
            if opts.get('output') is False or 'remove-output' in tags: c.outputs = []
            for o in c.outputs:
                md = o.get('data', {}).get('text/markdown')
                if md is None: continue
                md = ''.join(md) if isinstance(md, list) else md
                o['data']['text/markdown'] = quarto_markdown(show_doc_markdown(md) if is_doc else md)
            ci = {}
            kind = next((k for k in ('export', 'exports', 'exporti') if k in opts), None)
            if kind:
                tags.add('export')
                mod = opts[kind] if isinstance(opts[kind], str) else default_exp
                ci['label'] = f'exported to {lib}.{mod}' if mod else 'exported'
            if is_doc: tags.add('show-doc')
            fold = opts.get('code-fold')
            if fold in (True, 'true', 'show'):
                ci['fold'] = 'show' if fold == 'show' else 'closed'
                ci['summary'] = str(opts.get('code-summary') or 'Code').strip('"\'')
            c.metadata['tags'] = sorted(tags)
            if not c.source.strip() and not c.outputs: continue
            if not c.get('id'): c.id = nbformat.v4.new_code_cell().id
            if ci: info[f'cell-id={c.id}'] = ci
        cells.append(c)
    nb.cells = cells
    return nb, info

# ---------------------------------------------------------------- nbconvert
class _Renderer(IPythonRenderer):
    "nbconvert's renderer, with math left as marked spans for KaTeX instead of `$...$` text for MathJax."
    def block_math(self, body): return f'<span class="math display">{self.escape_html(body)}</span>'
    def inline_math(self, body): return f'<span class="math inline">{self.escape_html(body)}</span>'
    def latex_environment(self, name, body):
        tex = f'\\begin{{{name}}}{body}\\end{{{name}}}'
        return f'<span class="math display">{self.escape_html(tex)}</span>'
    def multiline_math(self, text): return text
    # nbconvert re-serialises every HTML fragment through BeautifulSoup to embed images, which closes a lone
    # `<a ...>` or `<div ...>` on the spot (`<a></a>text`); only fragments with an image need that.
    def inline_html(self, html):
        return super().inline_html(html) if '<img' in html.lower() else HTMLRenderer.inline_html(self, html)
    def block_html(self, html):
        return super().block_html(html) if '<img' in html.lower() else HTMLRenderer.block_html(self, html)

class _Exporter(HTMLExporter):
    "The `basic` template (cells only); our renderer for Markdown; no bleach pass over Pygments' already escaped code."
    def default_filters(self):
        yield from super().default_filters()
        yield ('clean_html', lambda html: html.decode() if isinstance(html, bytes) else str(html))

    def from_notebook_node(self, nb, resources=None, **kw):
        """HTMLExporter's own version, less its final BeautifulSoup round trip (alt texts and tab stops for the lab
        template): `postprocess` parses the page anyway, and the round trip doubled the build time."""
        try:
            from nbconvert.exporters.templateexporter import TemplateExporter
            from nbconvert.filters.highlight import Highlight2HTML
            from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
        except ImportError: return super().from_notebook_node(nb, resources, **kw)
        langinfo = nb.metadata.get('language_info', {})
        lexer = langinfo.get('pygments_lexer', langinfo.get('name', None))
        resources = self._init_resources(resources)
        self.register_filter('highlight_code', self.filters.get('highlight_code', Highlight2HTML(pygments_lexer=lexer, parent=self)))
        self.register_filter('filter_data_type', WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get('cell', {})
        path = context.get('resources', {}).get('metadata', {}).get('path', '')
        r = _Renderer(escape=False, attachments=cell.get('attachments', {}), embed_images=True, path=path,
                      exclude_anchor_links=True, **self.lexer_options)
        return MarkdownWithMath(renderer=r).render(source)

def exporter():
    e = _Exporter(template_name='basic', exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True)
    e.anchor_link_text = ''
    return e

# ---------------------------------------------------------------- HTML post-processing
def pandoc_id(text):
    "Pandoc's auto identifier (what Quarto gives a heading): lower case, spaces to `-`, keep `_-.`, start at a letter."
    s = re.sub(r'[^\w\s.-]', '', text.strip().lower(), flags=re.U)
    s = re.sub(r'\s+', '-', s)
    s = re.sub(r'^[^a-z]+', '', s)
    return s or 'section'

def rewrite_link(href, pages, site_url):
    "A link to our own site or to a notebook, as a relative link to the generated page; others unchanged."
    if not href or href.startswith(('#', 'mailto:', 'data:', 'javascript:')): return href
    path, frag = (href.split('#', 1) + [''])[:2]
    frag = f'#{frag}' if '#' in href else ''
    if site_url:
        for pre in {site_url, site_url.replace('https://', 'http://', 1)}:
            if path == pre or path.startswith(pre + '/'):
                rel = path[len(pre):].lstrip('/') or 'index.html'
                if rel.endswith('/'): rel += 'index.html'
                if '.' not in Path(rel).name: rel += '.html'
                return rel + frag
    if re.match(r'^[a-z][a-z0-9+.-]*:', path, re.I) or path.startswith('/'): return href
    name = Path(path).name
    if name.endswith('.ipynb') and name in pages: return pages[name] + frag
    return href

def number_ids(soup):
    "Ids for every heading: the show_doc ones keep theirs, the others get pandoc's; duplicates get -1, -2, ..."
    seen = {t['id'] for t in soup.find_all(id=True) if not t.name or not re.fullmatch(r'h[1-6]', t.name)}
    for h in soup.find_all(re.compile(r'^h[1-6]$')):
        base = h.get('id') if 'doc-title' in h.get('class', []) else None
        explicit = h.find(class_='explicit-id')
        if explicit: base = explicit['id']; explicit.decompose()
        base = base or pandoc_id(h.get_text())
        hid, n = base, 0
        while hid in seen: n += 1; hid = f'{base}-{n}'
        seen.add(hid)
        h['id'] = hid
        a = soup.new_tag('a', attrs={'class': 'anchor', 'href': f'#{hid}', 'aria-label': 'Link to this heading'})
        a.string = '#'
        h.append(a)

def toc(soup):
    items = []
    for h in soup.find_all(['h2', 'h3']):
        text = ' '.join(x.get_text(' ', strip=True) for x in h.contents
                        if not (getattr(x, 'get', None) and {'anchor', 'source-link'} & set(x.get('class', [])))).strip()
        items.append(f'<li class="toc-{h.name}"><a href="#{html.escape(h["id"])}">{html.escape(text)}</a></li>')
    return f'<nav class="toc" aria-label="On this page"><h2>On this page</h2><ul>{"".join(items)}</ul></nav>' if items else ''

def postprocess(body, pages, site_url, cellinfo):
    soup = BeautifulSoup(body, 'html.parser')
    for div in soup.find_all('div', class_='output_latex'):  # sympy's text/latex: `$\displaystyle ...$`
        tex = div.get_text().strip()
        m = re.fullmatch(r'\$\$(.*)\$\$|\$(.*)\$|\\\[(.*)\\\]|\\\((.*)\\\)', tex, re.S)
        if m: tex = next(g for g in m.groups() if g is not None)
        span = soup.new_tag('span', attrs={'class': 'math display'})
        span.string = tex
        div.clear(); div.append(span)
    for cell in soup.find_all('div', id=re.compile('^cell-id=')):
        ci = cellinfo.get(cell['id'])
        if not ci: continue
        inp = cell.find('div', class_='input')
        if ci.get('fold') and inp:
            det = soup.new_tag('details', attrs={'class': 'code-fold'})
            if ci['fold'] == 'show': det['open'] = ''
            summ = soup.new_tag('summary')
            summ.append(BeautifulSoup(MarkdownWithMath(renderer=_Renderer(escape=False)).render(ci['summary'])
                                      .strip().removeprefix('<p>').removesuffix('</p>'), 'html.parser'))
            if ci.get('label'):
                lab = soup.new_tag('span', attrs={'class': 'cell-label'}); lab.string = ci['label']; summ.append(lab)
            inp.wrap(det); det.insert(0, summ)
        elif ci.get('label'):
            lab = soup.new_tag('div', attrs={'class': 'cell-label'}); lab.string = ci['label']; cell.insert(0, lab)
    for h in soup.find_all(class_='doc-title'):  # the `[source]` link goes into the symbol's heading
        prev = h.find_previous_sibling()
        a = prev.find('a', target='_blank') if prev is not None and prev.name == 'p' else None
        if a is None: continue
        del a['style']
        a['class'] = ['source-link']
        h.append(a.extract())
        if not prev.get_text(strip=True): prev.decompose()
    for a in soup.find_all('a', href=True):
        a['href'] = rewrite_link(a['href'], pages, site_url)
        if re.match(r'https?://', a['href']) and not a.get('rel'): a['rel'] = 'noopener'
    for img in soup.find_all('img'):
        img.attrs.setdefault('alt', 'figure')
        if not img.get('loading'): img['decoding'] = 'async'
    number_ids(soup)
    return soup

# ---------------------------------------------------------------- KaTeX
KATEX_JS = r"""
const katex = require(process.env.KATEX_DIR);
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const pages = JSON.parse(input), out = [];
  for (const items of pages) {
    const macros = {};  // like MathJax on a page: a \newcommand holds for the rest of the page
    out.push(items.map(([tex, display]) => {
      const warnings = [];
      const opts = {displayMode: display, throwOnError: true, macros, globalGroup: true, output: 'htmlAndMathml',
                    strict: (code, msg) => { warnings.push(msg); return 'ignore'; }};
      try { return {html: katex.renderToString(tex, opts), warnings}; }
      catch (e) { return {html: katex.renderToString(tex, {...opts, throwOnError: false}), error: e.message, warnings}; }
    }));
  }
  process.stdout.write(JSON.stringify(out));
});
"""

def katex_cache():
    for base in (Path(sys.prefix)/'share'/'aligndistill-docs', Path.home()/'.cache'/'aligndistill-docs'):
        try: base.mkdir(parents=True, exist_ok=True)
        except OSError: continue
        if os.access(base, os.W_OK): return base/f'katex-{KATEX_VERSION}'
    raise SystemExit('no writable cache directory for KaTeX')

def katex_dir():
    "KaTeX's npm package, fetched once with `npm pack` (pinned version) and unpacked into a cache."
    d = katex_cache()
    if (d/'package.json').exists(): return d
    npm = shutil.which('npm')
    if not npm: raise SystemExit('npm is needed once to fetch KaTeX (math in the docs): apt-get install npm')
    with tempfile.TemporaryDirectory() as tmp:
        log(f'fetching katex@{KATEX_VERSION} with npm pack (once)')
        r = subprocess.run([npm, 'pack', f'katex@{KATEX_VERSION}', '--silent', '--pack-destination', tmp],
                           capture_output=True, text=True, timeout=300)
        tgz = next(Path(tmp).glob('katex-*.tgz'), None)
        if r.returncode or not tgz: raise SystemExit(f'npm pack katex failed:\n{r.stdout}{r.stderr}')
        part = Path(tmp)/'x'
        with tarfile.open(tgz) as t: t.extractall(part, filter='data')
        if json.loads((part/'package'/'package.json').read_text())['version'] != KATEX_VERSION:
            raise SystemExit('npm pack gave another KaTeX version')
        shutil.rmtree(d, ignore_errors=True)
        shutil.move(str(part/'package'), d)
    return d

def render_math(soups, kdir):
    "Render every `.math` span of every page with KaTeX (one Node process); returns the problems found."
    node = shutil.which('node') or shutil.which('nodejs')
    if not node: raise SystemExit('Node.js is needed to render the math (KaTeX): apt-get install nodejs')
    spans = [s.find_all('span', class_='math') for s in soups]
    payload = [[[sp.get_text(), 'display' in sp['class']] for sp in page] for page in spans]
    r = subprocess.run([node, '-e', KATEX_JS], input=json.dumps(payload), capture_output=True, text=True,
                       env={**os.environ, 'KATEX_DIR': str(kdir)}, timeout=300)
    if r.returncode: raise SystemExit(f'KaTeX failed:\n{r.stderr[-3000:]}')
    problems = []
    for page, res in zip(spans, json.loads(r.stdout)):
        for sp, out in zip(page, res):
            tex = sp.get_text()
            if out.get('error'): problems.append((tex, out['error']))
            for w in out.get('warnings', []): problems.append((tex, f'warning: {w}'))
            sp.clear()
            sp.append(BeautifulSoup(out['html'], 'html.parser'))
    return problems

def copy_katex(kdir, out):
    dst = out/STATIC/'katex'
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(kdir/'dist'/'katex.min.css', dst/'katex.min.css')
    shutil.copytree(kdir/'dist'/'fonts', dst/'fonts', dirs_exist_ok=True)
    shutil.copy2(kdir/'LICENSE', dst/'LICENSE')

# ---------------------------------------------------------------- page layout
def page_html(site, page, chapters, body, toc_html, has_math):
    i = next(k for k, c in enumerate(chapters) if c['file'] == page['file'])
    side = []
    for c in chapters:
        cur = ' aria-current="page" class="current"' if c is page else ''
        tip = f' title="{html.escape(c["description"])}"' if c['description'] else ''
        side.append(f'<li><a href="{c["file"]}"{cur}{tip}>{html.escape(c["title"])}</a></li>')
    prev = chapters[i - 1] if i > 0 else None
    nxt = chapters[i + 1] if i + 1 < len(chapters) else None
    pager = ''.join([
        f'<a class="prev" href="{prev["file"]}"><span>Previous</span>{html.escape(prev["title"])}</a>' if prev else '<span></span>',
        f'<a class="next" href="{nxt["file"]}"><span>Next</span>{html.escape(nxt["title"])}</a>' if nxt else ''])
    desc = f'<p class="description">{page["description_html"]}</p>' if page['description'] else ''
    katex = f'<link rel="stylesheet" href="{STATIC}/katex/katex.min.css">\n' if has_math else ''
    repo = f'<a class="repo" href="{html.escape(site["repo"])}" rel="noopener">Source</a>' if site['repo'] else ''
    title = page['title'] if page['file'] == 'index.html' else f'{page["title"]} – {site["title"]}'
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<meta name="description" content="{html.escape(page['description'])}">
<meta name="generator" content="tools/build_docs.py (nbconvert, KaTeX)">
<link rel="icon" href="data:,">
{katex}<link rel="stylesheet" href="{STATIC}/pygments.css">
<link rel="stylesheet" href="{STATIC}/site.css">
</head>
<body>
<header class="topbar"><a class="brand" href="index.html">{html.escape(site['title'])}</a>
<span class="tagline">{html.escape(site['description'])}</span>{repo}</header>
<div class="layout">
<nav class="sidebar" aria-label="Chapters"><ol>
{chr(10).join(side)}
</ol></nav>
<main class="content" id="content">
<header class="page-header"><h1 class="title">{html.escape(page['title'])}</h1>
{desc}</header>
{body}
<nav class="pager" aria-label="Previous and next chapter">{pager}</nav>
</main>
{toc_html}
</div>
<footer class="footer">Rendered from <code>nbs/{html.escape(page['notebook'])}</code>. Outputs are those stored in the notebook.</footer>
</body>
</html>
"""

# ---------------------------------------------------------------- main
def run_proc_nbs():
    t = time.time()
    r = subprocess.run([str(BIN/'nbdev-proc-nbs')], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if r.returncode: raise SystemExit(f'nbdev-proc-nbs failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}')
    log(f'nbdev-proc-nbs: {time.time() - t:.1f}s (its Quarto install messages are expected and ignored)')

def build(out, proc=True):
    t0 = time.time()
    site = site_config()
    if proc: run_proc_nbs()
    procdir = ROOT/'_proc'
    nb_paths = discover(site['nbs'], procdir)
    kdir = katex_dir()
    exp, md = exporter(), _Renderer(escape=False)
    notebooks, chapters = [], []
    for p in nb_paths:
        nb = nbformat.read(p, as_version=4)
        fm = front_matter(nb)
        title, summary = (fm.get('title'), fm.get('description', '')) if fm.get('title') else title_from_cells(nb)
        fname = fm.get('output-file') or f'{p.stem}.html'
        if Path(fname).name != fname: raise SystemExit(f'{p.name}: output-file {fname!r} is not a plain file name')
        if any(c['file'] == fname for c in chapters): raise SystemExit(f'{p.name}: two notebooks write {fname}')
        summary = str(summary or '')
        desc_html = MarkdownWithMath(renderer=md).render(quarto_markdown(summary)).strip()
        desc_html = re.sub(r'^<p>(.*)</p>$', r'\1', desc_html, flags=re.S)
        chapters.append(dict(file=fname, title=str(title or p.stem), description=summary, description_html=desc_html,
                             notebook=p.name))
        src = site['nbs']/p.name
        m = re.search(r'#\|\s*default_exp\s+([\w.]+)', src.read_text()) if src.exists() else None
        notebooks.append(prepare(restore_exports(nb, src), site['lib'], m and m.group(1)))
    pages = {c['notebook']: c['file'] for c in chapters}
    soups = []
    for c, (nb, cellinfo) in zip(chapters, notebooks):
        body, _ = exp.from_notebook_node(nb, resources={'metadata': {'path': str(procdir), 'name': c['notebook']}})
        soups.append(postprocess(body, pages, site['url'], cellinfo))
    desc = BeautifulSoup(''.join(f'<p>{c["description_html"]}</p>' for c in chapters), 'html.parser')
    math_problems = render_math(soups + [desc], kdir)
    for c, p in zip(chapters, desc.find_all('p', recursive=False)): c['description_html'] = p.decode_contents()
    if out.exists(): shutil.rmtree(out)
    (out/STATIC).mkdir(parents=True)
    copy_katex(kdir, out)
    (out/STATIC/'pygments.css').write_text(HtmlFormatter(style='friendly').get_style_defs('.highlight'))
    shutil.copy2(Path(__file__).with_name('docs_site.css'), out/STATIC/'site.css')
    for c, soup in zip(chapters, soups):
        has_math = bool(soup.find('span', class_='katex')) or '<span class="katex' in c['description_html']
        (out/c['file']).write_text(page_html(site, c, chapters, str(soup), toc(soup), has_math))
    for tex, msg in math_problems: log(f'math: {msg} in ${tex[:80]}$')
    log(f'{len(chapters)} pages in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}/ in {time.time() - t0:.1f}s')

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(ROOT/'_docs'), help='output folder (default _docs/)')
    ap.add_argument('--no-proc', action='store_true', help='reuse _proc/ instead of running nbdev-proc-nbs')
    a = ap.parse_args()
    if shutil.which('quarto'):
        log('quarto found: nbdev-docs')
        raise SystemExit(subprocess.run([str(BIN/'nbdev-docs')], cwd=ROOT).returncode)
    build(Path(a.out).resolve(), proc=not a.no_proc)

if __name__ == '__main__': main()
