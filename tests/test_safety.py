"""The SPARQL lexer and the checks that keep the service from reaching out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from educluster.errors import ForbiddenOperation, InputError
from educluster.sparql import safety
from educluster.sparql.safety import analyse, check_jsonld, check_rdfxml, check_remote, tokenize


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def test_lexer_skips_comments_and_reads_the_four_string_forms():
    text = '''SELECT * # SERVICE <http://a/>
    { ?s ?p 'one', "two", \'\'\'three
    SERVICE\'\'\', """four "quoted" SERVICE""" }'''
    tokens = kinds(text)
    assert ("word", "SERVICE") not in tokens
    strings = [t for k, t in tokens if k == "string"]
    assert strings == ["'one'", '"two"', "'''three\n    SERVICE'''",
                       '"""four "quoted" SERVICE"""']


def test_lexer_escapes_inside_strings_do_not_end_them():
    tokens = kinds(r'''SELECT * { ?s ?p "a \" SERVICE <x> \\" . ?s ?q 'b \' LOAD' }''')
    assert ("word", "SERVICE") not in tokens and ("word", "LOAD") not in tokens


def test_lexer_tells_iris_from_less_than():
    tokens = kinds("SELECT * { ?a ?b ?c FILTER(?c < 3 && ?c<?d) } # <http://x/>")
    assert ("iri", "<http://x/>") not in tokens
    assert ("punct", "<") in tokens
    assert ("iri", "<http://example.org/a#b>") in kinds("ASK { <http://example.org/a#b> ?p ?o }")


@pytest.mark.parametrize("query", [
    "SELECT * { ?s ?p ?o } # SERVICE <http://evil/>",
    'SELECT * { ?s ?p "SERVICE <http://evil/> { }" }',
    "SELECT * { ?s ?p '''multi\nline SERVICE <http://evil/>''' }",
    "SELECT ?service { ?service a <http://example.org/Service> }",
    "PREFIX ex: <http://example.org/> SELECT * { ?s ex:service ?o . ?s ex:LOAD ?x }",
    "SELECT * { <http://example.org/SERVICE> ?p ?o }",
    'SELECT * { ?s ?p ?o FILTER(CONTAINS(?o, "LOAD <http://x/>")) }',
])
def test_service_and_load_in_comments_strings_names_are_fine(query):
    analysis = analyse(query)
    assert not analysis.remote
    check_remote(analysis, allow_remote=False)


@pytest.mark.parametrize("query, target", [
    ("SELECT * { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
     "http://evil.example/sparql"),
    ("select * { service silent <http://evil.example/sparql> { ?s ?p ?o } }",
     "http://evil.example/sparql"),
    ("PREFIX e: <http://evil.example/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }",
     "http://evil.example/sparql"),
    ("SELECT * { VALUES ?x { <http://evil.example/> } SERVICE ?x { ?s ?p ?o } }", "?x"),
    ("SELECT * { ?s ?p ?o # comment\n SERVICE\n<http://evil.example/> { } }",
     "http://evil.example/"),
])
def test_a_real_service_is_found_and_refused(query, target):
    analysis = analyse(query)
    assert analysis.service == [target]
    with pytest.raises(ForbiddenOperation, match="SERVICE"):
        check_remote(analysis, allow_remote=False)
    check_remote(analysis, allow_remote=True)


@pytest.mark.parametrize("update", [
    "LOAD <http://evil.example/data.ttl>",
    "load silent <http://evil.example/data.ttl> into graph <http://g/>",
    "INSERT DATA { <a:b> <a:c> 'x' } ; LOAD <http://evil.example/data.ttl>",
])
def test_load_is_found_and_refused(update):
    analysis = analyse(update)
    assert analysis.load == ["http://evil.example/data.ttl"]
    with pytest.raises(ForbiddenOperation, match="LOAD"):
        check_remote(analysis, allow_remote=False)


def test_from_graphs_are_resolved_with_prefixes_and_base():
    query = """BASE <http://base.example/dir/>
    PREFIX g: <graphs/>
    SELECT * FROM <one> FROM g:two FROM NAMED <http://other.example/three>
    FROM NAMED g:four WHERE { ?s ?p ?o }"""
    analysis = analyse(query)
    assert analysis.from_graphs == ["http://base.example/dir/one",
                                    "http://base.example/dir/graphs/two"]
    assert analysis.from_named == ["http://other.example/three",
                                   "http://base.example/dir/graphs/four"]


def test_from_inside_a_string_is_not_a_dataset_clause():
    assert analyse('SELECT * { ?s ?p "FROM <http://x/>" }').from_graphs == []


def test_using_and_where_positions_of_updates():
    update = ("PREFIX e: <http://e/> DELETE { ?s e:p ?o } INSERT { ?s e:q ?o }"
              " WHERE { ?s e:p ?o } ;"
              " INSERT DATA { e:a e:b e:c } ; DELETE WHERE { ?s e:r ?o } ;"
              " INSERT { ?s e:z 1 } WHERE { ?s e:y ?o }")
    analysis = analyse(update, update_positions=True)
    assert not analysis.using
    assert len(analysis.where_positions) == 2
    rewritten = safety.add_using(update, analysis, ["http://g/1"], ["http://g/2"])
    assert rewritten.count("USING <http://g/1> USING NAMED <http://g/2> WHERE") == 2
    assert analyse("WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").using
    assert analyse("DELETE { ?s ?p ?o } USING <http://g/> WHERE { ?s ?p ?o }").using


# -- uploads ------------------------------------------------------------------------------

RDF_HEAD = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:e="http://e/">')


def test_plain_entities_of_rdfxml_are_fine():
    doc = f'''<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY e "http://e/"> <!ENTITY xsd 'http://www.w3.org/2001/XMLSchema#'> ]>
{RDF_HEAD}<rdf:Description rdf:about="&e;a"><e:p>x</e:p></rdf:Description></rdf:RDF>'''
    check_rdfxml(doc.encode())


@pytest.mark.parametrize("dtd, what", [
    ('<!ENTITY ext SYSTEM "http://127.0.0.1:9/x">', "external"),
    ('<!ENTITY ext PUBLIC "-//x//" "http://127.0.0.1:9/x">', "external"),
    ('<!ENTITY % pe SYSTEM "http://127.0.0.1:9/x"> %pe;', "parameter"),
    ('<!ENTITY a "lol"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">', "nested"),
])
def test_dangerous_entities_are_refused(dtd, what):
    doc = f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ {dtd} ]>\n{RDF_HEAD}</rdf:RDF>'
    with pytest.raises(InputError, match=what):
        check_rdfxml(doc.encode())


def test_external_dtd_is_refused():
    doc = f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/x.dtd">\n{RDF_HEAD}</rdf:RDF>'
    with pytest.raises(InputError, match="external"):
        check_rdfxml(doc.encode())


def test_quadratic_blowup_is_refused():
    big = "x" * 100_000
    refs = "&big;" * 20
    doc = (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY big "{big}"> ]>\n{RDF_HEAD}'
           f'<rdf:Description rdf:about="http://e/a"><e:p>{refs}</e:p></rdf:Description></rdf:RDF>')
    with pytest.raises(InputError, match="expand"):
        check_rdfxml(doc.encode())


@pytest.mark.parametrize("doc", [
    '{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://e/a"}',
    '{"@context": ["http://127.0.0.1:9/c", {"e": "http://e/"}], "@id": "http://e/a"}',
    '{"@context": {"@import": "http://127.0.0.1:9/c"}, "@id": "http://e/a"}',
    '{"@graph": [{"@context": "http://127.0.0.1:9/c", "@id": "http://e/a"}]}',
    '{"@context": {"e": {"@id": "http://e/p", "@context": "http://127.0.0.1:9/c"}}}',
])
def test_remote_jsonld_contexts_are_refused(doc):
    with pytest.raises(InputError, match=r"remote|context"):
        check_jsonld(doc.encode())


def test_inline_jsonld_context_is_fine():
    check_jsonld(b'{"@context": {"e": "http://e/"}, "@id": "http://e/a", "e:p": "x"}')


def test_a_declaration_cannot_hide_behind_a_bracket_in_a_value():
    doc = (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY a "]>"> '
           f'<!ENTITY b SYSTEM "http://127.0.0.1:9/x"> ]>\n{RDF_HEAD}</rdf:RDF>')
    with pytest.raises(InputError, match="external"):
        check_rdfxml(doc.encode())


def test_hostile_dtd_text_is_checked_in_linear_time():
    # shapes that make backtracking regular expressions explode
    check_rdfxml(b"<!DOCTYPE x [" + b"]" * 50_000)
    check_rdfxml(b"<!DOCTYPE x [ " + b"<!ENTITY a 'x'> &a;" * 20_000)
    with pytest.raises(InputError, match="external"):
        check_rdfxml(b"<!ENTITY " * 50_000)


def test_the_lexer_is_linear_on_unterminated_strings_and_iris():
    for text in ('"""' + "a" * 200_000, "'" + "a" * 200_000, "<" + "a" * 200_000,
                 '"a' * 50_000, "<a" * 50_000, "1" * 200_000 + "x"):
        assert len(analyse("SERVICE " + text).service) == 1  # found, whatever follows


# -- properties ---------------------------------------------------------------------------


WORDS = st.sampled_from(["SERVICE", "service", "LOAD", "FROM", "NAMED", "<http://x/>", "{",
                         "}", "#", "'", '"', "'''", '"""', "\\", "?s", "ex:p", " ", "\t",
                         "SILENT", "a", "é", "<", ">"])
FREE_TEXT = st.lists(WORDS, max_size=30).map("".join)


def sparql_string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


@settings(max_examples=300, deadline=None)
@given(FREE_TEXT, FREE_TEXT)
def test_text_in_strings_and_comments_is_never_a_keyword(in_string, in_comment):
    comment = in_comment.replace("\n", " ").replace("\r", " ")
    query = f"SELECT * WHERE {{ ?s ?p {sparql_string(in_string)} }} # {comment}\n"
    analysis = analyse(query)
    assert analysis.service == [] and analysis.load == [] and analysis.from_graphs == []


@settings(max_examples=300, deadline=None)
@given(FREE_TEXT, st.sampled_from(["", " SILENT"]), st.booleans())
def test_a_real_service_is_always_found(in_string, silent, uppercase):
    keyword = "SERVICE" if uppercase else "service"
    query = (f"SELECT * WHERE {{ ?s ?p {sparql_string(in_string)} # {{ SERVICE\n"
             f"  {keyword}{silent} <http://remote.example/sparql> {{ ?a ?b ?c }} }}")
    assert analyse(query).service == ["http://remote.example/sparql"]


# -- remembered checks: the same answers as the checks computed afresh ----------------------
def _real_texts(w3c_dir) -> list[str]:
    from educluster import resources

    texts = [p.read_text() for p in resources.query_files()]
    suite = w3c_dir / "sparql" / "sparql11"
    for path in sorted([*suite.rglob("*.rq"), *suite.rglob("*.ru")]):
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    deep = "SELECT * { " + "{" * 150 + "}" * 150 + " }"
    chained = "SELECT * { ?s ?p ?o " + "UNION { ?s ?p ?o } " * 600 + "}"
    return [*texts, deep, chained]


def _shape(text: str) -> str | None:
    try:
        safety.check_shape(text)
    except Exception as exc:  # QuerySyntaxError: the message is compared
        return f"{type(exc).__name__}: {exc}"
    return None


def test_remembered_checks_give_the_fresh_answers_on_real_queries(w3c_dir):
    texts = _real_texts(w3c_dir)
    assert len(texts) > 500
    refused = 0
    for round_ in range(2):  # the second round answers from the cache
        for text in texts:
            expected = safety.shape_problem(text)
            got = _shape(text)
            assert got == (None if expected is None else f"QuerySyntaxError: {expected}"), text
            refused += got is not None and round_ == 0
            for positions in (False, True):
                for base in (None, "http://example.org/sparql"):
                    assert analyse(text, base_iri=base, update_positions=positions) == \
                        safety.analyse_text(text, base_iri=base, update_positions=positions)
    assert refused >= 2  # the deep and the chained texts at least


def test_a_remembered_analysis_is_a_copy_of_its_own():
    text = "SELECT * FROM <http://example.org/g> { ?s ?p ?o }"
    first = analyse(text)
    first.from_graphs.append("http://example.org/tampered")
    first.service.append("http://example.org/service")
    second = analyse(text)
    assert second.from_graphs == ["http://example.org/g"]
    assert second.service == []


def test_long_texts_are_checked_but_not_remembered():
    text = "SELECT * { ?s ?p ?o } # " + "x" * safety.CACHE_MAX_TEXT + "\nSERVICE"
    before = safety._remembered_analysis.cache_info().currsize
    with pytest.raises(ForbiddenOperation):
        check_remote(analyse(text), allow_remote=False)
    assert safety._remembered_analysis.cache_info().currsize == before
