#!/usr/bin/env python
"""Edit notebooks as plain text: `nbtext.py totext NB.ipynb [OUT.txt]` and `nbtext.py tonb IN.txt NB.ipynb`.

Text format: each cell starts with a line `#%% code` or `#%% md`; everything up to the next such line is the
cell's source (a trailing blank line is dropped). `tonb` keeps the outputs of code cells whose source is unchanged
when NB.ipynb already exists, so a prose edit does not throw away stored figures. Run `nbdev-clean` afterwards.
"""
import json, sys
from pathlib import Path

MARK = '#%% '

def to_text(nb_path):
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for c in nb['cells']:
        kind = 'md' if c['cell_type'] == 'markdown' else 'code'
        parts.append(f"{MARK}{kind}\n{''.join(c['source']).rstrip()}\n")
    return '\n'.join(parts)

def parse_text(text):
    cells, cur = [], None
    for line in text.splitlines():
        if line.startswith(MARK) and line[len(MARK):].strip() in ('code', 'md'):
            cur = [line[len(MARK):].strip(), []]
            cells.append(cur)
        elif cur is not None: cur[1].append(line)
    return [(k, '\n'.join(ls).strip('\n')) for k, ls in cells]

def to_nb(text, nb_path):
    old = {}
    p = Path(nb_path)
    if p.exists():
        for c in json.loads(p.read_text())['cells']:
            if c['cell_type'] == 'code': old[''.join(c['source'])] = c.get('outputs', [])
    cells = []
    for kind, src in parse_text(text):
        lines = src.splitlines(keepends=True)
        if kind == 'md': cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': lines})
        else: cells.append({'cell_type': 'code', 'execution_count': None, 'metadata': {},
                            'outputs': old.get(src, []), 'source': lines})
    nb = {'cells': cells, 'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
          'nbformat': 4, 'nbformat_minor': 5}
    p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

if __name__ == '__main__':
    cmd, src, *dst = sys.argv[1:]
    if cmd == 'totext':
        out = to_text(src)
        if dst: Path(dst[0]).write_text(out)
        else: print(out)
    elif cmd == 'tonb': to_nb(Path(src).read_text(), dst[0])
    else: sys.exit(__doc__)
