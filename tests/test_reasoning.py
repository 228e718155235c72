"""Derived knowledge: rules R1 and R2, the ontology's entailments, retraction after change,
idempotence and explanations, on the in-memory store and on the on-disk store (reopened
after every write)."""

from __future__ import annotations

import itertools

import pyoxigraph as ox
import pytest

from educluster.reasoning import (
    DERIVED_ORIENTATION_QUERY,
    cluster_orientations,
    ensure_ontology,
    explain_cluster,
    explain_cooperation,
    materialize,
)
from educluster.resources import example_files, ontology_files
from educluster.store import OxigraphStore
from educluster.vocab import DERIVED_GRAPH, ONTOLOGY_GRAPH, ORG_IRI
from reasoning_cases import (
    DATA_GRAPH,
    PREFIXES,
    Backend,
    Cluster,
    DiskBackend,
    MemoryBackend,
    Participant,
    asserted_quads,
    change,
    derive,
    derived_orientation,
    derived_triples,
    ec,
    ex,
    has,
    has_derived,
)

ORG = ORG_IRI
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
V, H, M = ec("Vertical"), ec("Horizontal"), ec("Mixed")


@pytest.fixture(params=["memory", "disk"])
def backend(request, tmp_path) -> Backend:
    if request.param == "memory":
        return MemoryBackend()
    return DiskBackend(tmp_path)


@pytest.fixture
def store(backend):
    return backend.open()


@pytest.fixture(params=["rederive", "incremental"])
def apply_change(request, backend):
    """Apply a SPARQL Update to asserted data and keep derived knowledge current, by
    re-deriving everything or by ``update_derived`` with the changed quads."""
    incremental = request.param == "incremental"
    return lambda store, update: change(backend, store, update, incremental=incremental)


P = Participant

# -- R1: one cooperation between two partners ------------------------------------------
# (case id, partner a, partner b, expected orientation, attributes that differ)
R1_CASES = [
    ("two schools", P("a"), P("b"), H, []),
    ("school and university", P("a"), P("b", "HigherEducationInstitution"), V, ["level"]),
    ("school and preschool", P("a"), P("b", "PreschoolInstitution"), V, ["level"]),
    ("both without a level, same sector", P("a", "Enterprise"), P("b", "Enterprise"), H, []),
    ("both without a level, other sector", P("a", "Enterprise"), P("b", "ResearchInstitute"),
     V, ["sector"]),
    ("one without a level", P("a", "ResearchInstitute"),
     P("b", "HigherEducationInstitution", sectors=["ScienceSector"]), V, ["level"]),
    ("field on one side only", P("a", fields=["mathematics"]), P("b"), H, []),
    ("same field on both sides", P("a", fields=["mathematics"]), P("b", fields=["mathematics"]),
     H, []),
    ("fields that differ", P("a", fields=["mathematics"]), P("b", fields=["physics"]),
     V, ["field"]),
    ("field sets that differ", P("a", fields=["mathematics", "physics"]),
     P("b", fields=["mathematics"]), V, ["field"]),
    ("explicit level overriding a default", P("a", levels=["HigherLevel"]),
     P("b", "HigherEducationInstitution"), H, []),
    ("explicit level breaking a match", P("a", levels=["SecondarySpecializedLevel"]), P("b"),
     V, ["level"]),
    ("explicit level equal to the default", P("a", levels=["GeneralSecondaryLevel"]), P("b"),
     H, []),
    ("explicit sector overriding a default", P("a", "Enterprise", sectors=["EducationSector"]),
     P("b", "ResearchInstitute", sectors=["EducationSector"]), H, []),
    ("two levels against one", P("a", levels=["GeneralSecondaryLevel", "HigherLevel"]),
     P("b"), V, ["level"]),
    ("two levels against the same two", P("a", levels=["GeneralSecondaryLevel", "HigherLevel"]),
     P("b", "HigherEducationInstitution", levels=["HigherLevel", "GeneralSecondaryLevel"]),
     H, []),
    ("authority and school", P("a", "PublicAuthority"), P("b"), V, ["sector", "level"]),
    ("two authorities", P("a", "PublicAuthority"), P("b", "PublicAuthority"), H, []),
    ("narrower class's default wins", P("a", "ResearchUniversity"),
     P("b", "HigherEducationInstitution"), V, ["sector"]),
    ("narrower default against a research institute", P("a", "ResearchUniversity"),
     P("b", "ResearchInstitute"), V, ["level"]),
    ("subclass without its own default", P("a", "LaboratorySchool"), P("b"), H, []),
    ("untyped partners with the same explicit values",
     P("a", None, sectors=["EducationSector"], levels=["HigherLevel"]),
     P("b", None, sectors=["EducationSector"], levels=["HigherLevel"]), H, []),
    ("untyped partners without any value", P("a", None), P("b", None), H, []),
    ("untyped partner without a sector", P("a", None), P("b"), V, ["sector", "level"]),
]


@pytest.mark.parametrize(
    ("a", "b", "orientation", "differing"),
    [pytest.param(*case[1:], id=case[0]) for case in R1_CASES],
)
def test_r1_cooperation_orientation(backend, store, a, b, orientation, differing):
    cluster = Cluster(participants=[a, b], cooperations=[(a.name, b.name)])
    store = derive(backend, store, cluster.turtle())
    coop = cluster.cooperation(0)
    assert derived_orientation(store, coop) == orientation
    explanation = explain_cooperation(store, coop)
    assert explanation.orientation == orientation
    assert [d[0] for d in explanation.differences] == differing
    assert explanation.reason.startswith("vertical: " if orientation == V else "horizontal: ")
    # R2 over a single cooperation: the cluster takes its orientation
    cluster_orientation = {V: V, H: H}[orientation]
    assert cluster_orientations(store) == {ex("cluster"): cluster_orientation}


@pytest.mark.parametrize(
    ("partners", "description"),
    [
        pytest.param(("a",), "1 partner", id="one partner"),
        pytest.param(("a", "b", "c"), "3 partners", id="three partners"),
    ],
)
def test_r1_needs_exactly_two_partners(backend, store, partners, description):
    cluster = Cluster(participants=[P(n) for n in "abc"], cooperations=[partners])
    store = derive(backend, store, cluster.turtle())
    assert derived_orientation(store, cluster.cooperation(0)) is None
    assert cluster_orientations(store) == {}
    explanation = explain_cooperation(store, cluster.cooperation(0))
    assert explanation.orientation is None
    assert description in explanation.reason
    assert explain_cluster(store, ex("cluster")).reason.startswith("no orientation: none of")


def test_r1_explanation_names_partners_and_values(backend, store):
    a = P("Chirchik-State-Pedagogical-Institute", "HigherEducationInstitution")
    b = P("School-No-1")
    cluster = Cluster(participants=[a, b], cooperations=[(a.name, b.name)])
    store = derive(backend, store, cluster.turtle())
    explanation = explain_cooperation(store, cluster.cooperation(0))
    assert explanation.cluster == ex("cluster")
    assert set(explanation.partners) == {ex(a.name), ex(b.name)}
    assert set(explanation.partner_labels) == {
        "Chirchik State Pedagogical Institute", "School No 1"
    }
    assert explanation.differences == [("level", ec("HigherLevel"), ec("GeneralSecondaryLevel"))]
    assert explanation.reason == (
        "vertical: Chirchik State Pedagogical Institute is at higher level, "
        "School No 1 at general secondary level"
    )


def test_r1_explanation_of_a_horizontal_cooperation(backend, store):
    cluster = Cluster(participants=[P("a"), P("b")], cooperations=[("a", "b")])
    store = derive(backend, store, cluster.turtle())
    explanation = explain_cooperation(store, cluster.cooperation(0))
    assert explanation.differences == []
    assert explanation.reason == (
        "horizontal: a and b share sector (education sector) and level (general secondary)"
    )


def test_explaining_an_unknown_cooperation(store):
    explanation = explain_cooperation(store, ex("nothing"))
    assert explanation.orientation is None and explanation.partners == ()


# -- R2: a cluster's orientation ----------------------------------------------------------
SCHOOLS = [P("s1"), P("s2"), P("s3")]
UNIVERSITY = P("u", "HigherEducationInstitution")
AUTHORITY = P("authority", "PublicAuthority")

# (case id, cluster, expected orientation or None, vertical count, horizontal count)
R2_CASES = [
    ("all vertical", Cluster(participants=[*SCHOOLS, UNIVERSITY],
                             cooperations=[("u", "s1"), ("u", "s2")]), V, 2, 0),
    ("all horizontal", Cluster(participants=SCHOOLS,
                               cooperations=[("s1", "s2"), ("s2", "s3")]), H, 0, 2),
    ("mixed", Cluster(participants=[*SCHOOLS, UNIVERSITY],
                      cooperations=[("u", "s1"), ("s1", "s2"), ("s2", "s3")]), M, 1, 2),
    ("no cooperation", Cluster(participants=SCHOOLS), None, 0, 0),
    ("an authority that only leads", Cluster(participants=[*SCHOOLS, AUTHORITY],
                                             cooperations=[("s1", "s2"), ("s2", "s3")],
                                             led_by=["authority"]), H, 0, 2),
    ("an authority that is also a partner",
     Cluster(participants=[*SCHOOLS, AUTHORITY], cooperations=[("s1", "s2"), ("authority", "s3")],
             led_by=["authority"]), M, 1, 1),
    ("a cooperation without two partners is ignored",
     Cluster(participants=SCHOOLS, cooperations=[("s1", "s2"), ("s1", "s2", "s3")]), H, 0, 1),
]


@pytest.mark.parametrize(
    ("cluster", "orientation", "n_vertical", "n_horizontal"),
    [pytest.param(*case[1:], id=case[0]) for case in R2_CASES],
)
def test_r2_cluster_orientation(backend, store, cluster, orientation, n_vertical, n_horizontal):
    store = derive(backend, store, cluster.turtle())
    c = ex(cluster.name)
    assert derived_orientation(store, c) == orientation
    classes = {ec("VerticalCluster"), ec("HorizontalCluster"), ec("MixedCluster")}
    typed = {cls for cls in classes if has(store, c, RDF_TYPE, cls)}
    if orientation is None:
        assert cluster_orientations(store) == {}
        assert typed == set()
    else:
        assert cluster_orientations(store) == {c: orientation}
        assert typed == {orientation + "Cluster"}
    explanation = explain_cluster(store, c)
    assert explanation.orientation == orientation
    assert explanation.label == cluster.name
    assert (len(explanation.vertical), len(explanation.horizontal)) == (n_vertical, n_horizontal)
    assert all(e.orientation == V for e in explanation.vertical)
    assert all(e.orientation == H for e in explanation.horizontal)
    if orientation is None:
        assert explanation.reason == "no orientation: the cluster has no cooperation"
    elif orientation == M:
        assert explanation.reason == (
            f"mixed: {n_vertical} vertical and {n_horizontal} horizontal cooperation"
            + ("s" if n_horizontal != 1 else "")
        )
    else:
        assert explanation.reason.startswith(
            "vertical: " if orientation == V else "horizontal: "
        )


def test_r2_clusters_are_independent(backend, store):
    one = Cluster("one", participants=SCHOOLS, cooperations=[("s1", "s2")])
    two = Cluster("two", participants=[*SCHOOLS, UNIVERSITY], cooperations=[("u", "s3")])
    store = derive(backend, store, one.turtle() + two.turtle())
    assert cluster_orientations(store) == {ex("one"): H, ex("two"): V}


def test_stated_orientation_stays_asserted_and_derived_is_apart(backend, store):
    cluster = Cluster(participants=SCHOOLS, cooperations=[("s1", "s2")])
    stated = (
        f"ex:cluster ec:orientation ec:Vertical ; a ec:VerticalCluster .\n"
        f"<{cluster.cooperation(0)}> ec:orientation ec:Horizontal .\n"
    )
    store = derive(backend, store, cluster.turtle() + stated)
    # the stated values are untouched, the derived ones sit in the derived graph
    assert has(store, ex("cluster"), ec("orientation"), V)
    assert not has_derived(store, ex("cluster"), ec("orientation"), V)
    assert derived_orientation(store, ex("cluster")) == H
    # the agreeing stated cooperation orientation is still derived, to compare the two
    assert derived_orientation(store, cluster.cooperation(0)) == H
    assert cluster_orientations(store) == {ex("cluster"): H}
    rows = store.select(DERIVED_ORIENTATION_QUERY)
    assert {(r["node"].value, r["orientation"].value) for r in rows} == {
        (ex("cluster"), H), (cluster.cooperation(0), H)
    }


# -- entailments ----------------------------------------------------------------------------
def test_memberships_give_has_member_and_member_of(backend, store):
    data = (
        "ex:c a ec:Cluster .\n"
        "ex:m1 a org:Membership ; org:member ex:p1 ; org:organization ex:c .\n"
        "ex:m2 org:member ex:p2 ; org:organization ex:c .\n"  # untyped membership
        "ex:p3 ec:memberOf ex:c .\n"  # stated directly: the inverse is derived
    )
    store = derive(backend, store, data)
    for p in ("p1", "p2", "p3"):
        assert has(store, ex("c"), ec("hasMember"), ex(p))
        assert has(store, ex(p), ec("memberOf"), ex("c"))
        assert has(store, ex("c"), ORG + "hasMember", ex(p))  # subproperty
        assert has(store, ex(p), ORG + "memberOf", ex("c"))
    # asserted triples are not copied into the derived graph
    assert not has_derived(store, ex("p3"), ec("memberOf"), ex("c"))


def test_subclass_closure_types_individuals_only(backend, store):
    data = (
        "ex:c a ec:TeacherEducationCluster .\n"
        "ex:s a ec:GeneralSecondarySchool .\n"
        "ex:u a ex:ResearchUniversity .\n"
    )
    store = derive(backend, store, data)
    for cls in ("EducationalCluster", "Cluster"):
        assert has(store, ex("c"), RDF_TYPE, ec(cls))
    for x in ("c", "s", "u"):
        assert has(store, ex(x), RDF_TYPE, ORG + "Organization")
    assert has(store, ex("u"), RDF_TYPE, ec("HigherEducationInstitution"))
    assert has(store, ex("u"), RDF_TYPE, ec("EducationalInstitution"))
    # classes themselves are not typed, restrictions are not types
    assert not has(store, ec("GeneralSecondarySchool"), RDF_TYPE, ORG + "Organization")
    assert not store.ask(f"ASK {{ GRAPH <{DERIVED_GRAPH}> {{ ?x a ?r FILTER isBlank(?r) }} }}")


def test_every_participant_is_an_organization(backend, store):
    cluster = Cluster(participants=[
        P(kind, kind) for kind in (
            "HigherEducationInstitution", "GeneralSecondarySchool", "PreschoolInstitution",
            "AcademicLyceum", "ResearchInstitute", "Enterprise", "PublicAuthority",
        )
    ])
    store = derive(backend, store, cluster.turtle())
    rows = store.select(f"SELECT ?x WHERE {{ ?x a <{ORG}Organization> }}")
    found = {r["x"].value for r in rows}
    assert {ex(p.name) for p in cluster.participants} | {ex("cluster")} <= found


def test_orientation_classes_are_closed_under_subclass(backend, store):
    cluster = Cluster(participants=SCHOOLS, cooperations=[("s1", "s2")])
    store = derive(backend, store, cluster.turtle())
    assert has_derived(store, ex("cluster"), RDF_TYPE, ec("HorizontalCluster"))
    assert has(store, ex("cluster"), RDF_TYPE, ec("Cluster"))


def test_transitive_part_of_region(backend, store):
    chain = ["district", "city", "province", "country", "continent"]
    data = "".join(
        f"ex:{a} ec:partOfRegion ex:{b} .\n" for a, b in itertools.pairwise(chain)
    )
    store = derive(backend, store, data)
    for i, a in enumerate(chain):
        for b in chain[i + 1:]:
            assert has(store, ex(a), ec("partOfRegion"), ex(b)), (a, b)
    assert not has(store, ex("country"), ec("partOfRegion"), ex("city"))


def test_domain_and_range_are_not_materialized(backend, store):
    store = derive(backend, store, "ex:coop ec:partner ex:x, ex:y .\n")
    assert not has(store, ex("coop"), RDF_TYPE, ec("Cooperation"))
    assert not has(store, ex("x"), RDF_TYPE, ORG + "Organization")


def test_defaults_and_explicit_values(backend, store):
    data = (
        "ex:s a ec:GeneralSecondarySchool .\n"
        "ex:t a ec:GeneralSecondarySchool ; ec:educationLevel ec:HigherLevel .\n"
        "ex:e a ec:Enterprise .\n"
    )
    store = derive(backend, store, data)
    assert has_derived(store, ex("s"), ec("sector"), ec("EducationSector"))
    assert has_derived(store, ex("s"), ec("educationLevel"), ec("GeneralSecondaryLevel"))
    # an explicit value wins: no default next to it
    assert has(store, ex("t"), ec("educationLevel"), ec("HigherLevel"))
    assert not has(store, ex("t"), ec("educationLevel"), ec("GeneralSecondaryLevel"))
    assert has_derived(store, ex("e"), ec("sector"), ec("BusinessSector"))
    assert not store.ask(f"ASK {{ <{ex('e')}> <{ec('educationLevel')}> ?level }}")


def test_asserted_data_is_never_changed(backend, store):
    cluster = Cluster(participants=[*SCHOOLS, UNIVERSITY],
                      cooperations=[("u", "s1"), ("s1", "s2")])
    store.load(PREFIXES + cluster.turtle(), ox.RdfFormat.TURTLE, graph=DATA_GRAPH)
    before = asserted_quads(store)
    store = derive(backend, store)
    assert asserted_quads(store) == before
    assert derived_triples(store)
    # derived triples are apart: an export without them is the asserted data
    without = store.dump(ox.RdfFormat.N_QUADS, include_derived=False)
    assert DERIVED_GRAPH.encode() not in without
    assert DERIVED_GRAPH.encode() in store.dump(ox.RdfFormat.N_QUADS)


def test_derived_graph_only_holds_what_is_not_asserted(backend, store):
    cluster = Cluster(participants=[*SCHOOLS, UNIVERSITY], cooperations=[("u", "s1")])
    store = derive(backend, store, cluster.turtle() + "ex:s1 org:memberOf ex:cluster .\n")
    overlap = store.select(
        f"""SELECT ?s ?p ?o WHERE {{
          GRAPH <{DERIVED_GRAPH}> {{ ?s ?p ?o }}
          GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{DERIVED_GRAPH}>)
          FILTER (?p != <{ec('orientation')}>)
        }}"""
    )
    assert overlap == []


# -- idempotence and change -----------------------------------------------------------------
def test_materialize_twice_adds_nothing(backend, store):
    cluster = Cluster(participants=[*SCHOOLS, UNIVERSITY, AUTHORITY],
                      cooperations=[("u", "s1"), ("s1", "s2"), ("authority", "s3")],
                      led_by=["authority"])
    store = derive(backend, store, cluster.turtle())
    first = derived_triples(store)
    stats = materialize(store)
    assert derived_triples(store) == first
    assert stats.derived == len(first)
    assert stats.rounds >= 1 and stats.rule_runs >= 8
    store = backend.reopen(store)
    assert derived_triples(store) == first


def delete_where(pattern: str) -> str:
    """A ``DELETE WHERE`` on the test data graph."""
    return f"DELETE WHERE {{ GRAPH <{DATA_GRAPH}> {{ {pattern} }} }}"


def insert_data(triples: str) -> str:
    """An ``INSERT DATA`` into the test data graph."""
    return f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ {triples} }} }}"


def _mixed_cluster() -> Cluster:
    return Cluster(participants=[*SCHOOLS, UNIVERSITY],
                   cooperations=[("u", "s1"), ("s1", "s2"), ("s2", "s3")])


def test_removing_a_cooperation_updates_the_cluster(backend, store, apply_change):
    cluster = _mixed_cluster()
    store = derive(backend, store, cluster.turtle())
    assert cluster_orientations(store) == {ex("cluster"): M}
    coop = cluster.cooperation(0)
    store = apply_change(store, delete_where(f"<{coop}> ?p ?o"))
    assert derived_orientation(store, coop) is None
    assert cluster_orientations(store) == {ex("cluster"): H}
    assert not has(store, ex("cluster"), RDF_TYPE, ec("MixedCluster"))
    assert has(store, ex("cluster"), RDF_TYPE, ec("HorizontalCluster"))


def test_removing_every_cooperation_removes_the_orientation(backend, store, apply_change):
    cluster = _mixed_cluster()
    store = derive(backend, store, cluster.turtle())
    store = apply_change(store, delete_where("?c a ec:Cooperation ; ?p ?o"))
    assert cluster_orientations(store) == {}
    assert not store.ask(f"ASK {{ <{ex('cluster')}> <{ec('orientation')}> ?o }}")


def test_editing_a_cooperation_updates_it(backend, store, apply_change):
    cluster = _mixed_cluster()
    store = derive(backend, store, cluster.turtle())
    coop = cluster.cooperation(0)  # u - s1: vertical
    store = apply_change(
        store,
        f"DELETE DATA {{ GRAPH <{DATA_GRAPH}> {{ <{coop}> ec:partner ex:u }} }} ;"
        f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ <{coop}> ec:partner ex:s3 }} }}",
    )
    assert derived_orientation(store, coop) == H
    assert cluster_orientations(store) == {ex("cluster"): H}


def test_editing_a_level_updates_cooperation_and_cluster(backend, store, apply_change):
    cluster = Cluster(participants=SCHOOLS, cooperations=[("s1", "s2"), ("s2", "s3")])
    store = derive(backend, store, cluster.turtle())
    assert cluster_orientations(store) == {ex("cluster"): H}
    store = apply_change(
        store,
        f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ ex:s3 ec:educationLevel ec:HigherLevel }} }}",
    )
    assert derived_orientation(store, cluster.cooperation(1)) == V
    assert cluster_orientations(store) == {ex("cluster"): M}
    # the default the explicit level replaced is gone
    assert not has(store, ex("s3"), ec("educationLevel"), ec("GeneralSecondaryLevel"))
    # and back: removing the explicit level brings the default back
    store = apply_change(store, delete_where("ex:s3 ec:educationLevel ?level"))
    assert has_derived(store, ex("s3"), ec("educationLevel"), ec("GeneralSecondaryLevel"))
    assert cluster_orientations(store) == {ex("cluster"): H}


def test_removing_a_membership_retracts_has_member(backend, store, apply_change):
    cluster = Cluster(participants=SCHOOLS)
    store = derive(backend, store, cluster.turtle())
    assert has(store, ex("cluster"), ec("hasMember"), ex("s1"))
    store = apply_change(store, delete_where("ex:cluster-m-s1 ?p ?o"))
    assert not has(store, ex("cluster"), ec("hasMember"), ex("s1"))
    assert not has(store, ex("s1"), ORG + "memberOf", ex("cluster"))
    assert has(store, ex("cluster"), ec("hasMember"), ex("s2"))


def test_retyping_a_participant_updates_defaults(backend, store, apply_change):
    cluster = Cluster(participants=SCHOOLS, cooperations=[("s1", "s2")])
    store = derive(backend, store, cluster.turtle())
    store = apply_change(
        store,
        f"DELETE DATA {{ GRAPH <{DATA_GRAPH}> {{ ex:s2 a ec:GeneralSecondarySchool }} }} ;"
        f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ ex:s2 a ec:Enterprise }} }}",
    )
    assert has_derived(store, ex("s2"), ec("sector"), ec("BusinessSector"))
    assert not has(store, ex("s2"), ec("sector"), ec("EducationSector"))
    explanation = explain_cooperation(store, cluster.cooperation(0))
    assert explanation.orientation == V
    assert [d[0] for d in explanation.differences] == ["sector", "level"]


# A user's axioms can make a triple about a partner give it a sector; a change to such a
# triple reaches the partner's cooperations although it names no sector itself.
USER_SECTOR_AXIOMS = {
    "subproperty": ("ex:sectorHint rdfs:subPropertyOf ec:sector .",
                    "ex:s2 ex:sectorHint ec:BusinessSector"),
    "inverse": ("ex:sectorOf owl:inverseOf ec:sector .",
                "ec:BusinessSector ex:sectorOf ex:s2"),
}


@pytest.mark.parametrize("axiom", sorted(USER_SECTOR_AXIOMS))
def test_a_sector_given_by_a_users_axiom_updates_the_cooperations(
        backend, store, apply_change, axiom):
    tbox, triple = USER_SECTOR_AXIOMS[axiom]
    cluster = Cluster(participants=SCHOOLS, cooperations=[("s1", "s2"), ("s2", "s3")])
    store = derive(backend, store, cluster.turtle() + tbox)
    assert cluster_orientations(store) == {ex("cluster"): H}
    store = apply_change(store, insert_data(triple))
    assert has_derived(store, ex("s2"), ec("sector"), ec("BusinessSector"))
    assert derived_orientation(store, cluster.cooperation(0)) == V
    assert derived_orientation(store, cluster.cooperation(1)) == V
    assert cluster_orientations(store) == {ex("cluster"): V}


def test_an_inverse_of_rdf_type_follows_a_retyping(backend, store, apply_change):
    """With ``ex:hasInstance owl:inverseOf rdf:type``, a class's instances are derived
    triples about the class, and a new type brings one."""
    cluster = Cluster(participants=SCHOOLS)
    axiom = f"ex:hasInstance owl:inverseOf <{RDF_TYPE}> ."
    store = derive(backend, store, cluster.turtle() + axiom)
    assert not has(store, ec("Enterprise"), ex("hasInstance"), ex("s2"))
    store = apply_change(store, insert_data("ex:s2 a ec:Enterprise"))
    assert has_derived(store, ec("Enterprise"), ex("hasInstance"), ex("s2"))
    store = apply_change(store, delete_where("ex:s2 a ec:Enterprise"))
    assert not has(store, ec("Enterprise"), ex("hasInstance"), ex("s2"))


def test_a_subproperty_of_rdf_type_follows_a_retyping(backend, store, apply_change):
    """``ex:isA rdfs:subPropertyOf rdf:type``: a class given by it has its superclasses and
    its defaults, and they change with it."""
    cluster = Cluster(participants=SCHOOLS, cooperations=[("s1", "s2")])
    axiom = f"ex:isA rdfs:subPropertyOf <{RDF_TYPE}> ."
    store = derive(backend, store, cluster.turtle() + axiom)
    assert derived_orientation(store, cluster.cooperation(0)) == H
    store = apply_change(store, insert_data("ex:s2 ex:isA ec:Enterprise"))
    assert has_derived(store, ex("s2"), RDF_TYPE, ec("Enterprise"))
    assert has_derived(store, ex("s2"), ec("sector"), ec("BusinessSector"))
    assert derived_orientation(store, cluster.cooperation(0)) == V


def test_a_class_axiom_given_by_a_users_subproperty_types_the_instances(
        backend, store, apply_change):
    """``ex:narrowerThan rdfs:subPropertyOf rdfs:subClassOf``: a new such triple is a new
    class axiom, and the instances of the narrower class get the broader one."""
    cluster = Cluster(participants=SCHOOLS)
    axioms = "ex:narrowerThan rdfs:subPropertyOf rdfs:subClassOf . ex:a a ex:Academy ."
    store = derive(backend, store, cluster.turtle() + axioms)
    assert not has(store, ex("a"), RDF_TYPE, ec("Cluster"))
    store = apply_change(store, insert_data("ex:Academy ex:narrowerThan ec:Cluster"))
    assert has_derived(store, ex("a"), RDF_TYPE, ec("Cluster"))


def test_what_a_change_can_reach_decides_whether_partners_cooperations_are_redone(
        backend, store):
    """``update_derived`` widens to the cooperations of the resources in scope only when
    the change can alter what R1 reads of a partner; ``_reachable`` tells."""
    from educluster.reasoning.engine import _PARTNER_KEYS, _reachable, plan

    steps = plan(derive(backend, store))
    new_cooperation = {f"type {ec('Cooperation')}", ec("partner"), ec("inCluster")}
    reached = _reachable(steps, new_cooperation)
    assert not reached & _PARTNER_KEYS
    # what the rules write from it: the cooperation's orientation, the cluster's class
    assert ec("orientation") in reached and f"type {ec('MixedCluster')}" in reached
    # a school's class gives it a default level; its own level and sector are read by R1
    assert ec("educationLevel") in _reachable(steps, {f"type {ec('GeneralSecondarySchool')}"})
    assert ec("sector") in _reachable(steps, {ec("sector")})
    # a class the plan knows nothing of reaches nothing but itself
    assert _reachable(steps, {f"type {ex('Unknown')}"}) == {f"type {ex('Unknown')}"}


def test_only_the_rules_a_change_can_reach_run_again(backend, store):
    """A new cooperation re-runs the class closure and the orientations, not the
    memberships or the defaults; a new level re-runs the defaults and the orientations,
    not the memberships.  Either way the derived graph is what deriving everything
    again gives."""
    from educluster.reasoning import update_derived

    cluster = Cluster(participants=[*SCHOOLS, UNIVERSITY], cooperations=[("u", "s1")])
    store = derive(backend, store, cluster.turtle())
    g = ox.NamedNode(DATA_GRAPH)
    coop = ox.NamedNode(ex("new-cooperation"))
    quads = [ox.Quad(coop, ox.NamedNode(RDF_TYPE), ox.NamedNode(ec("Cooperation")), g),
             ox.Quad(coop, ox.NamedNode(ec("partner")), ox.NamedNode(ex("u")), g),
             ox.Quad(coop, ox.NamedNode(ec("partner")), ox.NamedNode(ex("s2")), g),
             ox.Quad(coop, ox.NamedNode(ec("inCluster")), ox.NamedNode(ex("cluster")), g)]
    level = [ox.Quad(ox.NamedNode(ex("s3")), ox.NamedNode(ec("educationLevel")),
                     ox.NamedNode(ec("HigherLevel")), g)]
    for written, ran, skipped in ((quads, {"cooperation-orientation", "cluster-orientation"},
                                   {"membership", "defaults"}),
                                  (level, {"defaults", "cooperation-orientation"},
                                   {"membership"})):
        store.add_quads(written)
        stats = update_derived(store, written)
        assert ran <= set(stats.rule_seconds) and not skipped & set(stats.rule_seconds)
        incremental = derived_triples(store)
        materialize(store)
        assert derived_triples(store) == incremental
    assert has(store, ex("cluster"), ec("hasMember"), ex("s1"))
    assert derived_orientation(store, ex("new-cooperation")) == V


# -- the ontology ---------------------------------------------------------------------------
def test_ensure_ontology_keeps_a_loaded_ontology(store):
    before = sum(1 for _ in store.quads(ONTOLOGY_GRAPH))
    ensure_ontology(store)
    assert sum(1 for _ in store.quads(ONTOLOGY_GRAPH)) == before


requires_ontology = pytest.mark.skipif(
    not ontology_files(), reason="the shipped ontology (ontology/*.ttl) is not written yet"
)


@requires_ontology
def test_ensure_ontology_loads_the_shipped_ontology():
    store = OxigraphStore()
    ensure_ontology(store)
    assert store.ask(f"ASK {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}")
    ensure_ontology(store)  # a second call changes nothing
    assert store.triple_count(ONTOLOGY_GRAPH) == store.triple_count("*")


@requires_ontology
@pytest.mark.parametrize(
    ("a", "b", "orientation", "differing"),
    [pytest.param(*case[1:], id=case[0]) for case in R1_CASES
     if "ResearchUniversity" not in (case[1].kind, case[2].kind)
     and "LaboratorySchool" not in (case[1].kind, case[2].kind)],
)
def test_r1_with_the_shipped_ontology(a, b, orientation, differing):
    store = OxigraphStore()
    ensure_ontology(store)
    cluster = Cluster(participants=[a, b], cooperations=[(a.name, b.name)])
    store.load(PREFIXES + cluster.turtle(), ox.RdfFormat.TURTLE, graph=DATA_GRAPH)
    materialize(store)
    assert derived_orientation(store, cluster.cooperation(0)) == orientation
    assert [d[0] for d in explain_cooperation(store, cluster.cooperation(0)).differences] == (
        differing
    )
    assert has(store, ex("cluster"), RDF_TYPE, ORG + "OrganizationalCollaboration")
    assert has(store, ex("cluster"), RDF_TYPE, ORG + "Organization")
    if a.kind:
        assert has(store, ex(a.name), RDF_TYPE, ORG + "Organization")
    assert has(store, ex(a.name), ORG + "memberOf", ex("cluster"))
    assert has(store, ex("cluster"), RDF_TYPE, orientation + "Cluster")
    assert has(store, ex("cluster"), RDF_TYPE, ec("Cluster"))


@requires_ontology
@pytest.mark.parametrize(
    "path", example_files() or [None], ids=lambda p: p.name if p else "no examples"
)
def test_every_example_participant_is_an_organization(path):
    if path is None:
        pytest.skip("no example data (data/*.ttl) yet")
    store = OxigraphStore()
    store.load(path.read_bytes(), ox.RdfFormat.TURTLE, graph=DATA_GRAPH, source=str(path))
    materialize(store)
    members = store.select(f"SELECT DISTINCT ?p WHERE {{ ?m <{ORG}member> ?p }}")
    assert members, f"{path.name} has no memberships"
    missing = [
        r["p"] for r in members
        if not store.ask(f"ASK {{ {r['p']} a <{ORG}Organization> }}")
    ]
    assert missing == []
    assert store.ask(f"ASK {{ ?c a <{ec('Cluster')}> ; a <{ORG}Organization> }}")
    assert cluster_orientations(store), f"no cluster of {path.name} has an orientation"
