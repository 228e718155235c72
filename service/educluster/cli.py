"""The ``educluster`` command line (DESIGN.md, "Command line").

Each subcommand's work lives in the module of its concern; this module only parses the
arguments and turns user-actionable errors into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from educluster import __version__
from educluster.errors import EduclusterError

EXIT_OK, EXIT_NONCONFORMING, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with one line (its default is usage + line)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="educluster",
        description="Knowledge graph, principle shapes and SPARQL service for "
                    "educational clusters.",
    )
    parser.add_argument("--version", action="version", version=f"educluster {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("validate", help="check cluster definitions principle by principle")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="definition files (.ttl .nt .nq .trig .jsonld .rdf .owl .yaml .yml .csv), "
                        "merged into one definition")
    p.add_argument("--format", choices=["text", "json", "turtle"], default="text",
                   help="report format (default: text)")
    p.add_argument("--owl", action="store_true",
                   help="also check the definition against the ontology's axioms with HermiT "
                        "(needs Java)")
    p.set_defaults(handler="educluster.validation.command:run")

    p = sub.add_parser("serve", help="run the SPARQL service")
    from educluster.settings import add_serve_arguments

    add_serve_arguments(p)
    p.set_defaults(handler="educluster.commands:run_serve")

    p = sub.add_parser("load", help="load RDF files (or YAML/CSV forms) into the store")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--store", metavar="PATH", help="on-disk store directory")
    p.add_argument("--graph", metavar="IRI",
                   help="named graph to load into (default: the default graph)")
    _add_endpoint_arguments(p)
    p.set_defaults(handler="educluster.commands:run_load")

    p = sub.add_parser("query", help="run a SPARQL query against the store")
    p.add_argument("query", nargs="?", metavar="QUERY", help="the query text")
    p.add_argument("--file", metavar="F", help="read the query from a file")
    p.add_argument("--format", default=None,
                   help="json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, jsonld, rdfxml, "
                        "nquads, trig (CONSTRUCT/DESCRIBE); default: a table")
    p.add_argument("--store", metavar="PATH", help="on-disk store directory")
    _add_endpoint_arguments(p)
    p.set_defaults(handler="educluster.commands:run_query")

    p = sub.add_parser("export", help="dump the whole dataset")
    p.add_argument("--format", default="turtle",
                   help="turtle, ntriples, nquads, trig, jsonld, rdfxml (default: turtle)")
    p.add_argument("--out", metavar="FILE", help="output file (default: standard output); "
                                                 "a name ending in .gz is gzipped")
    p.add_argument("--no-derived", action="store_true", help="leave out derived triples")
    p.add_argument("--store", metavar="PATH", help="on-disk store directory")
    _add_endpoint_arguments(p)
    p.set_defaults(handler="educluster.commands:run_export")
    return parser


def _add_endpoint_arguments(p: argparse.ArgumentParser) -> None:
    """--endpoint and --update-endpoint, as for ``serve`` (docs/external-stores.md)."""
    p.add_argument("--endpoint", metavar="URL",
                   help="query URL of an external SPARQL 1.1 store to work on instead of the "
                        "on-disk store (default: EDUCLUSTER_ENDPOINT; credentials from "
                        "EDUCLUSTER_ENDPOINT_USER and EDUCLUSTER_ENDPOINT_PASSWORD)")
    p.add_argument("--update-endpoint", metavar="URL",
                   help="update URL of the external store (default: --endpoint)")


def _resolve(handler: str):
    import importlib

    module_name, _, func = handler.partition(":")
    return getattr(importlib.import_module(module_name), func)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(_resolve(args.handler)(args) or 0)
    except EduclusterError as exc:
        print(f"educluster: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
