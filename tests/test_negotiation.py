"""Accept parsing and format choice for SPARQL results and graphs, on their own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from educluster.sparql.negotiation import (
    BY_NAME,
    FORMATS,
    NotAcceptable,
    choose,
    parse_accept,
    quality,
)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def test_parse_accept_reads_q_values_and_parameters():
    ranges = parse_accept('text/turtle;q=0.5, application/ld+json;profile="x";q=0.9, */*;q=0')
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "turtle", 0.5), ("application", "ld+json", 0.9), ("*", "*", 0.0)]
    assert ranges[1].params == (("profile", "x"),)


def test_parse_accept_skips_malformed_parts_and_clamps_q():
    ranges = parse_accept("garbage, text/csv;q=7, ;q=1, application/json;q=oops")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "csv", 1.0), ("application", "json", 0.0)]


def test_the_most_specific_range_decides():
    ranges = parse_accept("text/*;q=0.3, text/csv;q=0.9, */*;q=0.1")
    assert quality(ranges, "text/csv")[0] == 0.9
    assert quality(ranges, "text/turtle")[0] == 0.3
    assert quality(ranges, "application/json")[0] == 0.1
    assert quality(parse_accept("text/csv"), "application/json") == (0.0, -1)


@pytest.mark.parametrize("kind, accept, expected", [
    ("bindings", None, "json"),
    ("boolean", None, "json"),
    ("graph", None, "turtle"),
    ("bindings", "*/*", "json"),
    ("graph", "*/*", "turtle"),
    ("bindings", "application/sparql-results+xml", "xml"),
    ("bindings", "text/csv", "csv"),
    ("bindings", "text/tab-separated-values", "tsv"),
    ("bindings", "application/json", "json"),
    ("graph", "application/json", "jsonld"),
    ("graph", "application/n-triples", "ntriples"),
    ("graph", "text/plain", "ntriples"),
    ("graph", "application/rdf+xml", "rdfxml"),
    ("graph", "application/n-quads", "nquads"),
    ("graph", "application/trig", "trig"),
    ("graph", "application/ld+json", "jsonld"),
    ("bindings", "text/csv;q=0.4, application/sparql-results+xml;q=0.6", "xml"),
    ("bindings", "text/*", "csv"),
    ("graph", "text/*", "turtle"),
    ("bindings", BROWSER, "xml"),
    ("graph", BROWSER, "rdfxml"),
    ("boolean", "text/turtle, application/sparql-results+json;q=0.1", "json"),
    ("graph", "application/sparql-results+json, text/turtle;q=0.2", "turtle"),
    ("bindings", "application/sparql-results+json;q=0, */*", "xml"),
])
def test_choose_by_accept(kind, accept, expected):
    assert choose(kind, accept).name == expected


@pytest.mark.parametrize("kind, accept", [
    ("bindings", "text/turtle"),
    ("boolean", "text/csv"),
    ("graph", "application/sparql-results+json"),
    ("bindings", "application/json;q=0, application/sparql-results+json;q=0"),
    ("graph", "image/png"),
])
def test_nothing_acceptable_raises(kind, accept):
    with pytest.raises(NotAcceptable) as info:
        choose(kind, accept)
    assert "gives" in str(info.value)


@pytest.mark.parametrize("kind, param, expected", [
    ("bindings", "json", "json"),
    ("bindings", "xml", "xml"),
    ("bindings", "csv", "csv"),
    ("bindings", "tsv", "tsv"),
    ("graph", "turtle", "turtle"),
    ("graph", "ntriples", "ntriples"),
    ("graph", "jsonld", "jsonld"),
    ("graph", "rdfxml", "rdfxml"),
    ("graph", "nquads", "nquads"),
    ("graph", "trig", "trig"),
    ("graph", "json", "jsonld"),
    ("graph", "xml", "rdfxml"),
    ("graph", "TTL", "turtle"),
    ("bindings", "application/sparql-results+xml", "xml"),
    ("graph", "text/turtle", "turtle"),
])
def test_format_parameter_wins_over_accept(kind, param, expected):
    assert choose(kind, "text/csv", param).name == expected


@pytest.mark.parametrize("kind, param", [
    ("bindings", "turtle"), ("graph", "csv"), ("bindings", "pdf"), ("boolean", "tsv"),
])
def test_format_parameter_that_cannot_carry_the_result(kind, param):
    with pytest.raises(NotAcceptable):
        choose(kind, None, param)


def test_every_format_has_a_unique_name_and_text_types_say_utf8():
    names = [f.name for f in FORMATS]
    assert len(names) == len(set(names))
    assert BY_NAME["turtle"].content_type == "text/turtle; charset=utf-8"



MEDIA = st.sampled_from(["text/turtle", "text/*", "*/*", "application/json", "text/csv",
                         "application/sparql-results+json", "application/rdf+xml", "image/png",
                         "garbage", "", "*", "a/b/c", "text/"])
PARAMS = st.sampled_from(["", ";q=0", ";q=0.5", ";q=1", ";q=x", ";level=1", ";q=2", ";q=-1"])
ACCEPT = st.lists(st.tuples(MEDIA, PARAMS).map("".join), max_size=6).map(", ".join)


@settings(max_examples=300, deadline=None)
@given(ACCEPT, st.sampled_from(["bindings", "boolean", "graph"]))
def test_any_accept_header_gives_a_fitting_format_or_a_clear_refusal(accept, kind):
    try:
        fmt = choose(kind, accept)
    except NotAcceptable as exc:
        assert "gives" in str(exc)
        return
    assert kind in fmt.kinds
    # never a format the client refused explicitly
    for r in parse_accept(accept):
        if r.q == 0 and r.type != "*" and r.subtype != "*" and r.params == ():
            assert fmt.media_type != f"{r.type}/{r.subtype}" or any(
                q.q > 0 and q.matches(fmt.media_type) and q.specificity >= 2
                for q in parse_accept(accept))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_parse_accept_never_fails(header):
    for r in parse_accept(header):
        assert 0.0 <= r.q <= 1.0
