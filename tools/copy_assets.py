"""Copy the browser assets the pages need from node_modules into web/static/vendor (git-ignored),
and bundle the modeler (web/assets/modeler.js and what it imports) with the pinned esbuild.

``bin/run`` and ``bin/test`` call this after ``npm ci``; the application serves the files itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "web" / "static" / "vendor"
# package → the files of its dist folder the pages load
FILES = {
    "bpmn-js": ["bpmn-navigated-viewer.production.min.js", "bpmn-modeler.production.min.js",
                "assets/diagram-js.css", "assets/bpmn-js.css", "assets/bpmn-font/css/bpmn.css",
                "assets/bpmn-font/font/bpmn.woff2", "assets/bpmn-font/font/bpmn.woff"],
    "echarts": ["echarts.min.js"],
    "@bpmn-io/properties-panel": ["assets/properties-panel.css"],
}
# Files outside a package's dist folder.
EXTRA = {"diagram-js-minimap/assets/diagram-js-minimap.css": "diagram-js-minimap/diagram-js-minimap.css"}
ASSET_SOURCES = ROOT / "web" / "assets"
# The pages' own bundles: entry point in web/assets -> bundle in web/static/vendor/modeler.
BUNDLES = ("modeler.js", "form-editor.js")


def bundle_pages() -> int:
    """Bundle each entry of BUNDLES when its sources are newer than its bundle; returns esbuild's
    exit code (0 when everything is up to date)."""
    sources = [*ASSET_SOURCES.iterdir(), ROOT / "package-lock.json"]
    outputs = [VENDOR / "modeler" / name for name in BUNDLES]
    newest = max(p.stat().st_mtime for p in sources)
    if all(out.exists() and out.stat().st_mtime >= newest for out in outputs):
        return 0
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    return subprocess.run([str(esbuild), *(str(ASSET_SOURCES / name) for name in BUNDLES), "--bundle", "--minify",
                           "--format=iife", "--target=es2020", "--log-level=warning",
                           f"--outdir={VENDOR / 'modeler'}"], check=False).returncode


def main() -> int:
    for package, names in FILES.items():
        source = ROOT / "node_modules" / package / "dist"
        if not source.exists():
            print(f"node_modules/{package} is missing: run npm ci first", file=sys.stderr)
            return 1
        for name in names:
            target = VENDOR / package / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target)
    for name, target_name in EXTRA.items():
        target = VENDOR / target_name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "node_modules" / name, target)
    return bundle_pages()


if __name__ == "__main__":
    sys.exit(main())
