"""``educluster validate FILE...``: the handler wired in ``educluster.cli``.

Exit 0 when the definition conforms, 1 when it does not; bad input raises
``InputError``, which the command line turns into one line and exit 2.
"""

from __future__ import annotations

import sys

EXIT_CONFORMS, EXIT_NONCONFORMING = 0, 1


def run(args) -> int:
    from educluster.validation import validate_files

    report = validate_files(args.files, owl=getattr(args, "owl", False))
    fmt = getattr(args, "format", "text") or "text"
    if fmt == "json":
        out = report.to_json() + "\n"
    elif fmt == "turtle":
        out = report.to_turtle()
    else:
        out = report.to_text()
    sys.stdout.write(out)
    sys.stdout.flush()
    return EXIT_CONFORMS if report.conforms else EXIT_NONCONFORMING
