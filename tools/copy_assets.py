"""Copy the browser assets the pages need from node_modules into web/static/vendor (git-ignored).

``bin/run`` and ``bin/test`` call this after ``npm ci``; the application serves the files itself.
"""

from __future__ import annotations

import shutil
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
}


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
