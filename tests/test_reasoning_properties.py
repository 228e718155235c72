"""Properties of derived knowledge over random clusters (hypothesis): R1 agrees with an
independent model of the rule, a cluster's orientation is exactly the combination of its
cooperations' orientations, and deriving after a change (everything again, or only what
the change affects) equals deriving from scratch."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from educluster.reasoning import cluster_orientations, explain_cluster, materialize
from educluster.store import OxigraphStore
from reasoning_cases import (
    DATA_GRAPH,
    KINDS,
    Cluster,
    DiskBackend,
    MemoryBackend,
    Participant,
    change,
    derive,
    derived_orientation,
    derived_triples,
    ec,
    ex,
    with_tbox,
)

LEVELS = ["PreschoolLevel", "GeneralSecondaryLevel", "SecondarySpecializedLevel", "HigherLevel"]
SECTORS = ["EducationSector", "ScienceSector", "BusinessSector"]
FIELDS = ["mathematics", "physics"]
V, H, M = ec("Vertical"), ec("Horizontal"), ec("Mixed")


@st.composite
def participants(draw, name: str) -> Participant:
    return Participant(
        name,
        draw(st.sampled_from(sorted(KINDS))),
        sectors=draw(st.lists(st.sampled_from(SECTORS), max_size=1)),
        levels=draw(st.lists(st.sampled_from(LEVELS), max_size=2, unique=True)),
        fields=draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True)),
    )


@st.composite
def clusters(draw) -> Cluster:
    n = draw(st.integers(min_value=2, max_value=7))
    members = [draw(participants(f"p{i}")) for i in range(n)]
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    cooperations = draw(st.lists(pairs, max_size=8))
    led_by = draw(st.lists(st.integers(0, n - 1), max_size=1))
    return Cluster(
        participants=members,
        cooperations=[(f"p{a}", f"p{b}") for a, b in cooperations],
        led_by=[f"p{i}" for i in led_by],
    )


def effective(p: Participant) -> tuple[set[str], set[str], set[str]]:
    """The model of R1's inputs: explicit values win, else the kind's defaults."""
    sector, level = KINDS[p.kind]
    sectors = set(p.sectors) or {sector}
    levels = set(p.levels) or ({level} if level else set())
    return sectors, levels, set(p.fields)


def expected_orientation(a: Participant, b: Participant) -> str:
    (sa, la, fa), (sb, lb, fb) = effective(a), effective(b)
    same_fields = not (fa and fb) or fa == fb
    return H if sa == sb and la == lb and same_fields else V


def check_cluster(store, cluster: Cluster) -> None:
    by_name = {p.name: p for p in cluster.participants}
    seen = set()
    for i, (a, b) in enumerate(cluster.cooperations):
        expected = expected_orientation(by_name[a], by_name[b])
        assert derived_orientation(store, cluster.cooperation(i)) == expected, (a, b)
        seen.add(expected)
    combined = {frozenset(): None, frozenset({V}): V, frozenset({H}): H}.get(frozenset(seen), M)
    assert derived_orientation(store, ex(cluster.name)) == combined
    assert cluster_orientations(store) == ({ex(cluster.name): combined} if combined else {})
    explanation = explain_cluster(store, ex(cluster.name))
    assert len(explanation.vertical) + len(explanation.horizontal) == len(cluster.cooperations)
    for cooperation in explanation.vertical:
        assert cooperation.differences
    for cooperation in explanation.horizontal:
        assert cooperation.differences == []


@settings(max_examples=60, deadline=None)
@given(clusters())
def test_cluster_orientation_is_the_combination_of_its_cooperations(cluster):
    backend = MemoryBackend()
    store = derive(backend, backend.open(), cluster.turtle())
    check_cluster(store, cluster)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_same_on_the_disk_store(cluster):
    with tempfile.TemporaryDirectory() as directory:
        backend = DiskBackend(Path(directory))
        store = derive(backend, backend.open(), cluster.turtle())
        check_cluster(store, cluster)
        store.close()


@settings(max_examples=40, deadline=None)
@given(clusters(), st.data(), st.booleans())
def test_deriving_after_a_change_equals_deriving_from_scratch(cluster, data, incremental):
    backend = MemoryBackend()
    store = derive(backend, backend.open(), cluster.turtle())
    first = derived_triples(store)
    materialize(store)
    assert derived_triples(store) == first  # idempotent

    removed = data.draw(st.sets(st.integers(0, max(len(cluster.cooperations) - 1, 0))))
    removed &= set(range(len(cluster.cooperations)))
    victim = data.draw(st.sampled_from([p.name for p in cluster.participants]))
    update = "".join(
        f"DELETE WHERE {{ GRAPH <{DATA_GRAPH}> {{ <{cluster.cooperation(i)}> ?p ?o }} }} ;\n"
        for i in sorted(removed)
    )
    update += (
        f"DELETE WHERE {{ GRAPH <{DATA_GRAPH}> {{ ex:{victim} ec:educationLevel ?l }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ ex:{victim} ec:educationLevel ec:HigherLevel }} }}"
    )
    store = change(backend, store, update, incremental=incremental)

    fresh = with_tbox(OxigraphStore())
    fresh.add_quads(list(store.quads(DATA_GRAPH)))
    materialize(fresh)
    assert derived_triples(store) == derived_triples(fresh)

    by_name = {
        p.name: Participant(p.name, p.kind, p.sectors,
                            ["HigherLevel"] if p.name == victim else p.levels, p.fields)
        for p in cluster.participants
    }
    for i, (a, b) in enumerate(cluster.cooperations):
        expected = None if i in removed else expected_orientation(by_name[a], by_name[b])
        assert derived_orientation(store, cluster.cooperation(i)) == expected



@st.composite
def edits(draw, cluster: Cluster) -> str:
    """A random SPARQL Update of asserted data: retype, relevel or drop participants,
    drop memberships, repartner or drop cooperations, add a cooperation, change regions."""
    names = [p.name for p in cluster.participants]
    g = f"GRAPH <{DATA_GRAPH}>"
    ops = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(
            ["retype", "level", "unlevel", "membership", "cooperation", "repartner", "add",
             "participant", "region"]
        ))
        who = draw(st.sampled_from(names))
        if kind == "retype":
            new = draw(st.sampled_from(sorted(KINDS)))
            ops.append(f"DELETE WHERE {{ {g} {{ ex:{who} a ?k }} }}")
            ops.append(f"INSERT DATA {{ {g} {{ ex:{who} a ec:{new} }} }}")
        elif kind == "level":
            level = draw(st.sampled_from(LEVELS))
            ops.append(f"INSERT DATA {{ {g} {{ ex:{who} ec:educationLevel ec:{level} }} }}")
        elif kind == "unlevel":
            ops.append(f"DELETE WHERE {{ {g} {{ ex:{who} ec:educationLevel ?l }} }}")
        elif kind == "membership":
            ops.append(f"DELETE WHERE {{ {g} {{ ex:{cluster.name}-m-{who} ?p ?o }} }}")
        elif kind == "region":
            ops.append(draw(st.sampled_from([
                f"DELETE DATA {{ {g} {{ ex:city ec:partOfRegion ex:country }} }}",
                f"INSERT DATA {{ {g} {{ ex:country ec:partOfRegion ex:continent }} }}",
                f"INSERT DATA {{ {g} {{ ex:{who} ec:locatedIn ex:district }} }}",
            ])))
        elif kind == "participant":
            ops.append(f"DELETE WHERE {{ {g} {{ ex:{who} ?p ?o }} }}")
        elif cluster.cooperations and kind in ("cooperation", "repartner"):
            i = draw(st.integers(0, len(cluster.cooperations) - 1))
            coop = cluster.cooperation(i)
            if kind == "cooperation":
                ops.append(f"DELETE WHERE {{ {g} {{ <{coop}> ?p ?o }} }}")
            else:
                ops.append(f"DELETE WHERE {{ {g} {{ <{coop}> ec:partner ?x }} }}")
                other = draw(st.sampled_from(names))
                ops.append(f"INSERT DATA {{ {g} {{ <{coop}> ec:partner ex:{who}, ex:{other} }} }}")
        elif kind == "add":
            other = draw(st.sampled_from(names))
            ops.append(
                f"INSERT DATA {{ {g} {{ ex:new-coop a ec:Cooperation ; "
                f"ec:inCluster ex:{cluster.name} ; ec:partner ex:{who}, ex:{other} }} }}"
            )
    return " ;\n".join(ops)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_update_derived_equals_materialize_after_random_edits(data):
    cluster = data.draw(clusters())
    other = Cluster("other", participants=[Participant("q1"), Participant("q2")],
                    cooperations=[("q1", "q2")])
    backend = MemoryBackend()
    regions = "ex:district ec:partOfRegion ex:city . ex:city ec:partOfRegion ex:country .\n"
    store = derive(backend, backend.open(), cluster.turtle() + other.turtle() + regions)
    update = data.draw(edits(cluster))
    store = change(backend, store, update, incremental=True)

    fresh = with_tbox(OxigraphStore())
    fresh.add_quads(list(store.quads(DATA_GRAPH)))
    materialize(fresh)
    assert derived_triples(store) == derived_triples(fresh), update


# A user's axioms over the properties R1 reads and over rdf:type, and the triples that
# use them: what a change reaches then goes through the subproperty, inverse and
# transitive rules before it reaches a partner's sector, level or field.
USER_AXIOMS = {
    "sector-hint": ("ex:sectorHint rdfs:subPropertyOf ec:sector .",
                    "ex:{who} ex:sectorHint ec:{sector}"),
    "sector-of": ("ex:sectorOf owl:inverseOf ec:sector .", "ec:{sector} ex:sectorOf ex:{who}"),
    "level-hint": ("ex:levelHint rdfs:subPropertyOf ec:educationLevel .",
                   "ex:{who} ex:levelHint ec:{level}"),
    "is-a": ("ex:isA rdfs:subPropertyOf rdf:type .", "ex:{who} ex:isA ec:{kind}"),
    "has-instance": ("ex:hasInstance owl:inverseOf rdf:type .",
                     "ec:{kind} ex:hasInstance ex:{who}"),
    "cooperates-in": ("ex:cooperatesIn owl:inverseOf ec:partner .",
                      "ex:{who} ex:cooperatesIn ex:{cluster}-c0"),
    "field-near": ("ex:near a owl:TransitiveProperty ; rdfs:subPropertyOf ec:field .",
                   "ex:{who} ex:near ex:{other}"),
    "narrower-than": ("ex:narrowerThan rdfs:subPropertyOf rdfs:subClassOf . ex:p0 a ex:Special .",
                      "ex:Special ex:narrowerThan ec:{kind}"),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_update_derived_equals_materialize_under_a_users_axioms(data):
    cluster = data.draw(clusters())
    names = sorted(data.draw(st.sets(st.sampled_from(sorted(USER_AXIOMS)), min_size=1)))
    axioms = "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n" + "\n".join(
        USER_AXIOMS[n][0] for n in names)
    backend = MemoryBackend()
    store = derive(backend, backend.open(), cluster.turtle() + axioms)
    who = [p.name for p in cluster.participants]
    g = f"GRAPH <{DATA_GRAPH}>"
    ops = []
    for _ in range(data.draw(st.integers(1, 3))):
        triple = USER_AXIOMS[data.draw(st.sampled_from(names))][1].format(
            who=data.draw(st.sampled_from(who)), other=data.draw(st.sampled_from(who)),
            sector=data.draw(st.sampled_from(SECTORS)), level=data.draw(st.sampled_from(LEVELS)),
            kind=data.draw(st.sampled_from(sorted(KINDS))), cluster=cluster.name)
        verb = data.draw(st.sampled_from(["INSERT DATA", "DELETE DATA"]))
        ops.append(f"{verb} {{ {g} {{ {triple} }} }}")
    if data.draw(st.booleans()):
        ops.append(data.draw(edits(cluster)))
    update = " ;\n".join(ops)
    store = change(backend, store, update, incremental=True)
    incremental = derived_triples(store)
    # everything again on the same store: an inverse of rdf:type derives triples about
    # the ontology's blank nodes, whose labels another store would not share
    materialize(store)
    assert incremental == derived_triples(store), (names, update)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.sets(st.sampled_from(sorted(USER_AXIOMS))))
def test_independent_groups_side_by_side_derive_what_all_rules_in_order_derive(
        cluster, names):
    """Whatever axioms join or split the groups (``engine._independent``)."""
    from educluster.reasoning import engine

    axioms = "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n" + "\n".join(
        USER_AXIOMS[n][0] for n in sorted(names))
    triples = [USER_AXIOMS[n][1].format(who="p0", other="p1", sector="BusinessSector",
                                        level="HigherLevel", kind="Enterprise",
                                        cluster=cluster.name) + " ." for n in sorted(names)]
    backend = MemoryBackend()
    store = derive(backend, backend.open(), cluster.turtle() + axioms + "\n".join(triples))
    side_by_side = derived_triples(store)
    original = engine._independent
    engine._independent = lambda steps: [steps]
    try:
        materialize(store)
    finally:
        engine._independent = original
    assert derived_triples(store) == side_by_side, names
