"""Run ``salt-call`` in this process and record its resident memory at exit (a helper of :mod:`benchmarks.memory`).

    python -m benchmarks.rss_call OUT.json [--hide-extension] -- <salt-call arguments>

``--hide-extension`` drops saltext_sipxha's ``salt.loader`` entry point before Salt looks for it, so the
loader never sees the extension (nothing of ``saltext_sipxha`` is imported); otherwise the process is the
same. At exit, ``VmRSS`` and ``VmHWM`` (peak) from ``/proc/self/status`` and the count of loaded Python
modules (and of ``saltext_sipxha`` ones) are written to OUT.json. Keep this module free of imports
from the project: it must not load the extension by itself.
"""

from __future__ import annotations

import atexit
import json
import sys
from pathlib import Path

EXTENSION = "saltext_sipxha"


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _record(out: Path) -> None:
    modules = list(sys.modules)
    report = {
        "rss_kib": _status_kib("VmRSS"),
        "hwm_kib": _status_kib("VmHWM"),
        "modules": len(modules),
        "extension_modules": sum(1 for name in modules if EXTENSION in name),
    }
    out.write_text(json.dumps(report), encoding="utf-8")


def _hide_extension() -> None:
    from salt.utils import entrypoints  # pylint: disable=import-outside-toplevel

    original = entrypoints.iter_entry_points

    def without_sipxha(group, name=None):
        return [ep for ep in original(group, name) if not ep.value.startswith(EXTENSION)]

    entrypoints.iter_entry_points = without_sipxha


def main(argv: list[str]) -> None:
    out, options = Path(argv[0]), argv[1 : argv.index("--")]
    if "--hide-extension" in options:
        _hide_extension()
    atexit.register(_record, out)
    import salt.scripts  # pylint: disable=import-outside-toplevel

    sys.argv = ["salt-call", *argv[argv.index("--") + 1 :]]
    salt.scripts.salt_call()


if __name__ == "__main__":
    main(sys.argv[1:])
