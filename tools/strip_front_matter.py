"""Turn the YAML front matter that `nbdev-proc-nbs` leaves at the top of the rendered README into a title and summary."""
import re, sys
from pathlib import Path
import yaml

p = Path(sys.argv[1])
text = p.read_text()
m = re.match(r'\A\s*---\n(.*?)\n---\n+', text, flags=re.S)
if m:
    meta = yaml.safe_load(m.group(1)) or {}
    head = f"# {meta['title']}\n\n" if meta.get('title') else ''
    if meta.get('description'): head += f"> {meta['description']}\n\n"
    text = head + text[m.end():]
p.write_text(text.lstrip('\n'))
