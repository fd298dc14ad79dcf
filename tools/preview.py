"""Offline preview of the docs site, without Quarto: nbdev's own preprocessing, then nbconvert, into `_preview/`.

    python tools/preview.py            # build _preview/index.html and one page per chapter
    python tools/preview.py --shots    # also screenshot three pages with headless Chromium into _screenshots/

Publishing stays `nbdev_docs` (Quarto), from the same `_proc/` notebooks; this preview honours the Quarto cell options
nbdev relies on (`echo: false`, `output: asis`, `include: false`, `code-fold: true`) and checks every link it writes.
"""
import argparse, html, re, shutil, subprocess, sys
from pathlib import Path
import nbformat, yaml
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from pygments.formatters import HtmlFormatter
from nbdev.config import get_config
from nbdev.doclinks import _build_modidx
from nbdev.quarto import nbdev_sidebar, refresh_quarto_yml
from nbdev.serve import proc_nbs

DIRECTIVE = re.compile(r'^#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
CSS = """
body { margin: 0; font: 16px/1.6 system-ui, "Noto Sans CJK SC", "Noto Sans SC", sans-serif; color: #212529; }
nav { position: fixed; top: 0; bottom: 0; width: 15rem; overflow-y: auto; padding: 1.5rem 1rem; background: #f7f7f9; border-right: 1px solid #dee2e6; }
nav .site { font-weight: 700; font-size: 1.2rem; display: block; margin-bottom: 1rem; color: #2780e3; text-decoration: none; }
nav a { display: block; padding: .2rem .4rem; color: #343a40; text-decoration: none; border-radius: 4px; }
nav a.active { background: #2780e3; color: white; }
main { margin-left: 17rem; max-width: 60rem; padding: 1.5rem 2rem 4rem; }
.description { font-size: 1.15rem; color: #6c757d; }
pre, code { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace; font-size: .85rem; }
.input_area pre, .output_area pre { padding: .6rem .8rem; overflow-x: auto; margin: .4rem 0; }
.input_area .highlight { background: #f8f9fa; border-left: 3px solid #2780e3; }
.output_area pre { background: #fff; border-left: 3px solid #ced4da; }
.prompt { display: none; }
.rendered_html table { border-collapse: collapse; margin: .8rem 0; }
.rendered_html th, .rendered_html td { border: 1px solid #dee2e6; padding: .25rem .6rem; }
.output_area img { max-width: 100%; }
details.fold > summary { cursor: pointer; color: #6c757d; }
.anchor-link { visibility: hidden; margin-left: .3rem; text-decoration: none; color: #adb5bd; }
h1:hover .anchor-link, h2:hover .anchor-link, h3:hover .anchor-link, h4:hover .anchor-link { visibility: visible; }
footer.pager { display: flex; justify-content: space-between; margin-top: 3rem; padding-top: 1rem; border-top: 1px solid #dee2e6; }
"""
FOLD_JS = """<script>document.querySelectorAll('.celltag_fold .input').forEach(el => {
  const d = document.createElement('details'); d.className = 'fold'; d.innerHTML = '<summary>Code</summary>';
  el.replaceWith(d); d.appendChild(el); });</script>"""

def process_notebooks():
    "Run nbdev's Quarto-free preprocessing (the steps of `nbdev_proc_nbs` without its Quarto install) into `_proc/`."
    refresh_quarto_yml(); _build_modidx(); nbdev_sidebar.__wrapped__()
    return proc_nbs(force=True)

def chapter_order(nbs_path) -> list[str]:
    "Notebook names in sidebar order, sections flattened, from `sidebar.yml`."
    def flat(items): return [n for c in items for n in (flat(c['contents']) if isinstance(c, dict) else [c])]
    contents = yaml.safe_load((nbs_path/'sidebar.yml').read_text())['website']['sidebar']['contents']
    return [c for c in flat(contents) if isinstance(c, str) and c.endswith('.ipynb')]

def front_matter(nb) -> dict:
    "The YAML front matter nbdev puts in the first raw cell (title, description, output-file)."
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != 'raw': return {}
    return yaml.safe_load(first.source.strip().strip('-')) or {}

def apply_cell_options(nb):
    "Turn Quarto `#|` options into tags nbconvert understands, and drop the option lines from the shown code."
    for cell in nb.cells:
        if cell.cell_type != 'code': continue
        lines = cell.source.splitlines()
        opts = dict(m.groups() for m in map(DIRECTIVE.match, lines) if m)
        cell.source = '\n'.join(l for l in lines if not DIRECTIVE.match(l)).strip()
        tags = set(cell.metadata.get('tags', []))
        if opts.get('include') == 'false': tags.add('remove_cell')
        if opts.get('echo') == 'false': tags.add('remove_input')
        if opts.get('code-fold') == 'true': tags.add('fold')
        cell.metadata['tags'] = sorted(tags)
    return nb

def page_links(names, metas) -> dict:
    "Map every way a chapter is linked (`06_backbone.ipynb`, `backbone.html`) to its preview page."
    pages = {n: metas[n].get('output-file', Path(n).with_suffix('.html').name) for n in names}
    return pages | {p: p for p in pages.values()}

def fix_links(body, links, site_url):
    "Point links to other chapters at their preview pages, with lower-case anchors as Quarto writes them."
    def repl(m):
        target = m.group(2).removeprefix(site_url)
        page, _, anchor = target.partition('#')
        if page in links: target = links[page] + (f'#{anchor.lower()}' if anchor else '')
        return f'{m.group(1)}"{target}"'
    body = re.sub(r'(<h[1-6] id=")([^"]*)"', lambda m: f'{m.group(1)}{m.group(2).lower()}"', body)
    return re.sub(r'(href=)"([^"]*)"', repl, body)

def link_attributes(body) -> str:
    "Apply Pandoc link attributes (`[source](url){target=\"_blank\" style=...}`, as nbdev writes them) to the `<a>` tags."
    return re.sub(r'(<a [^>]*)>([^<]*)</a>\{([^}]*)\}', lambda m: f'{m.group(1)} {html.unescape(m.group(3))}>{m.group(2)}</a>', body)

def render_page(title, description, body, nav, active):
    "One preview page: sidebar, title block, the notebook's cells, and links to the previous and next chapters."
    items = ''.join(f'<a href="{p}"{" class=active" if p == active else ""}>{html.escape(t)}</a>' for p, t in nav)
    desc = f'<p class="description">{inline_code(description)}</p>' if description else ''
    i = [p for p, _ in nav].index(active)
    pager = ''.join(f'<a href="{nav[j][0]}">{label} {html.escape(nav[j][1])}</a>' for j, label in [(i - 1, '←'), (i + 1, '→')] if 0 <= j < len(nav))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} – bert_senti</title>
<style>{CSS}{HtmlFormatter().get_style_defs('.highlight')}</style></head>
<body><nav><a class="site" href="index.html">bert_senti</a>{items}</nav>
<main><h1>{html.escape(title)}</h1>{desc}{body}<footer class="pager">{pager}</footer></main>{FOLD_JS}</body></html>"""

def inline_code(text) -> str:
    "Escape `text` for HTML, rendering `backticked` spans as code."
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(text))

def broken_links(out) -> list[str]:
    "Local links in `out` whose page or anchor does not exist."
    pages = {p.name: p.read_text(encoding='utf-8') for p in out.glob('*.html')}
    bad = []
    for name, text in pages.items():
        for target in re.findall(r'href="([^"#:]*\.html)(?:#([^"]*))?"', text):
            page, anchor = target
            if page not in pages or (anchor and f'id="{anchor}"' not in pages[page]): bad.append(f'{name} -> {page}#{anchor}')
    return bad

def build(out='_preview'):
    "Process the notebooks and write one HTML page per chapter into `out`; return the pages written."
    cfg = get_config()
    proc = process_notebooks()
    names = chapter_order(cfg.nbs_path)
    nbs = {n: nbformat.read(proc/n, as_version=4) for n in names}
    metas = {n: front_matter(nb) for n, nb in nbs.items()}
    links = page_links(names, metas)
    nav = [(links[n], metas[n].get('title', n)) for n in names]
    exporter = HTMLExporter(template_name='basic', exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={'remove_cell'}, remove_input_tags={'remove_input'}), enabled=True)
    out = Path(out); shutil.rmtree(out, ignore_errors=True); out.mkdir()
    site_url = f"{cfg.doc_host}{cfg.doc_baseurl}/"
    for n, nb in nbs.items():
        nb.cells = [c for c in nb.cells if c.cell_type != 'raw']
        body, _ = exporter.from_notebook_node(apply_cell_options(nb))
        body = link_attributes(fix_links(body, links, site_url))
        page = render_page(metas[n].get('title', n), metas[n].get('description', ''), body, nav, links[n])
        (out/links[n]).write_text(page, encoding='utf-8')
    return [out/links[n] for n in names]

def screenshots(pages, out='_screenshots', width=1280, height=2400):
    "PNG screenshots of `pages` from headless Chromium (Debian's `chromium`; `fonts-noto-cjk` for Chinese)."
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if exe is None: sys.exit("preview: chromium not found: `apt-get install chromium fonts-noto-cjk` to take screenshots.")
    out = Path(out); out.mkdir(exist_ok=True)
    for page in pages:
        png = out/f'{page.stem}.png'
        subprocess.run([exe, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                        '--disable-component-update', '--disable-sync', '--hide-scrollbars', f'--user-data-dir={out/".chromium"}',
                        f'--window-size={width},{height}', f'--screenshot={png.resolve()}', page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
        print(f'screenshot {png}')
    shutil.rmtree(out/'.chromium', ignore_errors=True)

def main(argv=None):
    "Build the preview, check its links, and optionally take screenshots."
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default='_preview', help='output directory (not committed)')
    p.add_argument('--shots', nargs='*', metavar='PAGE', help='screenshot these pages (default: index and two chapters)')
    args = p.parse_args(argv)
    pages = build(args.out)
    print(f'preview: {len(pages)} pages in {args.out}/ (open {args.out}/index.html)')
    bad = broken_links(Path(args.out))
    if bad: sys.exit('preview: broken links:\n  ' + '\n  '.join(bad))
    if args.shots is not None:
        chosen = [Path(args.out)/s for s in args.shots] or [pages[0], pages[3], pages[6]]
        screenshots(chosen)

if __name__ == '__main__': main()
