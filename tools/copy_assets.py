"""Copy the browser assets the pages need from node_modules into web/static/vendor (git-ignored).

``bin/run`` and ``bin/test`` call this after ``npm ci``; the application serves the files itself.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "bpmn-js" / "dist"
TARGET = ROOT / "web" / "static" / "vendor" / "bpmn-js"
FILES = ["bpmn-navigated-viewer.production.min.js", "bpmn-modeler.production.min.js", "assets/diagram-js.css",
         "assets/bpmn-js.css", "assets/bpmn-font/css/bpmn.css", "assets/bpmn-font/font/bpmn.woff2",
         "assets/bpmn-font/font/bpmn.woff"]


def main() -> int:
    if not SOURCE.exists():
        print("node_modules/bpmn-js is missing: run npm ci first", file=sys.stderr)
        return 1
    for name in FILES:
        target = TARGET / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SOURCE / name, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
