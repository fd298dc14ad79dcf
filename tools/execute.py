"""Re-execute chapters and keep their outputs, so the docs pages show the figures and tables.

    python tools/execute.py                  # every notebook in nbs/
    python tools/execute.py 06_backbone      # the chapters whose names start with these

`nbdev_test` runs the same cells but keeps no outputs; this writes them back (then `nbdev_clean` strips the metadata noise).
Cells flagged `slow` are run too: this is the docs build, not the test suite.
"""
import argparse, os, subprocess, sys
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from nbdev.config import get_config

def notebooks(nbs_path, prefixes) -> list[Path]:
    "Chapter notebooks in `nbs_path` (all of them, or those whose names start with one of `prefixes`)."
    found = sorted(p for p in nbs_path.glob('*.ipynb') if not p.name.startswith('_'))
    chosen = [p for p in found if not prefixes or p.name.startswith(tuple(prefixes))]
    if prefixes and not chosen: sys.exit(f"execute: no notebook in {nbs_path} starts with {' or '.join(prefixes)}")
    return chosen

def execute(path: Path):
    "Run every code cell of `path` from a fresh kernel, in the notebook's folder, and save the outputs; stop at an error."
    nb = read_nb(path)
    for cell in nb.cells:
        if cell.cell_type == 'code': cell['outputs'], cell['execution_count'] = [], None
    cwd = os.getcwd(); os.chdir(path.parent)
    try: CaptureShell().run_all(nb, exc_stop=True)
    finally: os.chdir(cwd)
    write_nb(nb, path)

def main(argv=None):
    "Export the library, execute the chosen chapters, then clean them."
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('names', nargs='*', help='notebook name prefixes (default: all)')
    args = p.parse_args(argv)
    cfg = get_config()
    subprocess.run(['nbdev_export'], check=True, cwd=cfg.config_path)
    for path in notebooks(cfg.nbs_path, args.names):
        execute(path); print(f'executed {path.name}')
    subprocess.run(['nbdev_clean'], check=True, cwd=cfg.config_path)

if __name__ == '__main__': main()
