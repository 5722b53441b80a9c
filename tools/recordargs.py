"""Option parsing shared by the recording scripts (`heldout_lm.py`, `pilot.py`, `regime_lm.py`): a bad value exits with a line saying how to write it."""
import sys

def opt(args:list, name:str, parse, default):
    "Remove `name VALUE` from `args` and return `parse(VALUE)`, or `default` when `name` is absent."
    if name not in args: return default
    i = args.index(name)
    if i + 1 >= len(args): sys.exit(f'{name} needs a value (see --help)')
    v = args[i + 1]; del args[i:i + 2]
    try: return parse(v)
    except ValueError: sys.exit(f'{name} {v!r}: write it as in the usage, e.g. --seeds 3000-3004 or --worlds 1,2')

def int_range(v:str) -> tuple:
    "'3000-3004' -> (3000, ..., 3004); '7' -> (7,)."
    a, _, b = v.partition('-')
    return tuple(range(int(a), int(b or a) + 1))

def int_list(v:str) -> tuple: return tuple(int(x) for x in v.split(','))
