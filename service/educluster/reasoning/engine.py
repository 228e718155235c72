"""Running the rules: loading the ontology, materializing to a fixpoint, reading results.

Uses only the portable part of the ``Store`` interface (``query``/``select``/``ask``,
``update``, ``add_quads``, ``load``, ``clear_graph``, ``graph_exists``), so the same engine
runs over the embedded Oxigraph store and over a remote SPARQL 1.1 store.

The fixpoint is computed rule by rule, not round by round: the ontology says which
properties (and which classes, for ``rdf:type``) each rule reads and writes, and a rule
runs again only when a rule after it wrote something it reads.  For the shipped ontology
that is one pass over the rules, instead of a second full round that only confirms.
Groups of rules that read and write nothing of one another's run side by side on the
in-memory store (``_independent``); ``update_derived`` runs again only the rules a
change can reach (``_reachable``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from educluster.errors import StoreError
from educluster.reasoning import rules
from educluster.resources import ontology_files
from educluster.store import Store
from educluster.threads import THREADS, run_in_threads
from educluster.vocab import DERIVED_GRAPH, EC_IRI, ONTOLOGY_GRAPH, ORG_IRI

#: Upper bound on the passes over the rules.  The shipped ontology needs one; a cycle of
#: axioms feeding earlier rules may need more.
MAX_ROUNDS = 10

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_DERIVED_NODE = ox.NamedNode(DERIVED_GRAPH)
# What a rule reads or writes: a property IRI, or "type <class IRI>" for rdf:type
# triples of one class; ANY_TYPE stands for rdf:type triples of any class.
ANY_TYPE = "type *"


@dataclass
class MaterializeStats:
    """What one ``materialize`` did."""

    derived: int  #: triples in the derived graph afterwards
    rounds: int  #: passes over the rules (the last one may only have confirmed)
    seconds: float  #: wall time, ontology loading included
    rule_seconds: dict[str, float] = field(default_factory=dict)  #: time spent per rule
    rule_runs: int = 0  #: rules run in all


@dataclass(frozen=True)
class Step:
    """A rule and what it reads and writes (keys as above)."""

    rule: rules.Rule
    reads: frozenset[str]
    writes: frozenset[str]
    #: keys that never make this rule run again (another rule closes them)
    ignores: frozenset[str] = frozenset()
    #: a subclass rule's (class, superclass) pairs, when the plan knows them: what it
    #: writes for the instances of a few classes (``_reachable``)
    pairs: frozenset[tuple[str, str]] | None = None


def ensure_ontology(store: Store) -> None:
    """Load the shipped ontology into ``vocab.ONTOLOGY_GRAPH`` unless that graph holds triples."""
    if store.graph_exists(ONTOLOGY_GRAPH) and store.ask(
        f"ASK {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"
    ):
        return
    for path in ontology_files():
        store.load(path.read_bytes(), ox.RdfFormat.TURTLE, graph=ONTOLOGY_GRAPH, source=str(path))


def derived_count(store: Store) -> int:
    """Number of triples in the derived graph."""
    rows = store.select(rules.COUNT_DERIVED)
    return int(rows[0]["n"].value) if rows else 0


def plan(store: Store) -> list[Step]:
    """The rules to run, in order, with what each reads and writes, from the ontology."""
    subproperties: set[tuple[str, str]] = set()
    inverses: set[tuple[str, str]] = set()
    transitive: set[str] = set()
    defaults: set[tuple[str, str]] = set()
    class_edges: list[tuple[str, ox.Term, ox.Term]] = []
    default_terms: list[tuple[ox.Term, ox.Term, ox.Term]] = []
    subclasses: list[tuple[ox.Term, ox.Term]] = []
    for row in store.select(rules.TBOX_QUERY):
        kind, a = row["kind"].value, row["a"].value
        b = row["b"].value if "b" in row else ""
        if kind.startswith("class-"):
            class_edges.append((kind, row["a"], row["b"]))
            if kind == "class-subclass":
                subclasses.append((row["a"], row["b"]))
        elif kind == "subproperty":
            subproperties.add((a, b))
        elif kind == "inverse":
            inverses.add((a, b))
        elif kind == "transitive":
            transitive.add(a)
        elif kind == "default":
            default_terms.append((row["a"], row["b"], row["c"]))
            # the defaults the rules give: of named classes, for named properties
            if (isinstance(row["a"], ox.NamedNode) and isinstance(row["b"], ox.NamedNode)
                    and a != EC_IRI + "orientation"):
                defaults.add((a, b))
    overridable = rules.defaults_overridable(default_terms, subclasses)

    ec = EC_IRI
    steps = [
        Step(rules.MEMBERSHIP_1, frozenset({ORG_IRI + "member", ORG_IRI + "organization"}),
             frozenset({ec + "hasMember"})),
        Step(rules.MEMBERSHIP_2, frozenset({ORG_IRI + "member", ORG_IRI + "organization"}),
             frozenset({ec + "memberOf"})),
    ]
    if subproperties:
        steps.append(Step(rules.SUBPROPERTY,
                          frozenset(a for a, _ in subproperties) | _PROPERTY_AXIOMS,
                          frozenset(b for _, b in subproperties)))
    if inverses:
        involved = frozenset(p for pair in inverses for p in pair)
        steps.append(Step(rules.INVERSE, involved | {_OWL + "inverseOf"}, involved))
    for p in sorted(transitive):
        steps.append(Step(rules.transitive(p), frozenset({p}), frozenset({p})))
    orientation_types = frozenset(f"type {ec}{k}Cluster" for k in _KINDS)
    # The class closure's pairs, worked out here once, unless rules derive class axioms
    # (a subproperty, inverse, transitive property or default writing one of their
    # properties): then the rules find them at every run, as derived axioms appear.
    written = ({b for _, b in subproperties} | {p for pair in inverses for p in pair}
               | transitive | {p for p, _ in defaults})
    pairs: frozenset[tuple[str, str]] | None = None
    orientation_pairs: frozenset[tuple[str, str]] | None = None
    # (the rules read the ontology's axioms as they run: what they read of it is among
    # what they read, for the fixpoint and for which rules may run side by side)
    axioms = frozenset()
    if written & rules.CLASS_AXIOM_PROPERTIES:
        subclass_rule, orientation_rule = rules.SUBCLASS, rules.ORIENTATION_CLASSES
        axioms = rules.CLASS_AXIOM_PROPERTIES
    else:
        pairs = frozenset(rules.class_closure(class_edges))
        subclass_rule = rules.subclass_rule(pairs) if pairs else None
        orientation_pairs = frozenset((a, b) for a, b in pairs if a in _ORIENTATION_CLASSES)
        orientation_rule = (rules.subclass_rule(orientation_pairs, "orientation-classes")
                            if orientation_pairs else None)
    # R2's classes are closed by ORIENTATION_CLASSES right after it, not by a new pass
    if subclass_rule is not None:
        steps.append(Step(subclass_rule, frozenset({ANY_TYPE}) | axioms, frozenset({ANY_TYPE}),
                          ignores=orientation_types, pairs=pairs))
    if defaults:
        properties = frozenset(p for p, _ in defaults)
        classes = frozenset(f"type {c}" for _, c in defaults)
        reads = properties | classes | _DEFAULT_AXIOMS
        steps.append(Step(rules.DEFAULTS, reads, properties))
        if overridable:
            steps.append(Step(rules.OVERRIDABLE_DEFAULTS, reads, properties))
    steps.append(Step(
        rules.COOPERATION_ORIENTATION,
        frozenset({ec + "partner", ec + "sector", ec + "educationLevel", ec + "field"}),
        frozenset({ec + "orientation"}),
    ))
    steps.append(Step(
        rules.CLUSTER_ORIENTATION,
        frozenset({ec + "inCluster", ec + "orientation"}),
        frozenset({ec + "orientation"} | {f"type {ec}{k}Cluster" for k in _KINDS}),
    ))
    if orientation_rule is not None:
        steps.append(Step(orientation_rule, orientation_types | axioms, frozenset({ANY_TYPE}),
                          pairs=orientation_pairs))
    return steps


_KINDS = ("Vertical", "Horizontal", "Mixed")
_OWL = "http://www.w3.org/2002/07/owl#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: the axioms the subproperty and the defaults' rules read as they run
_PROPERTY_AXIOMS = frozenset({_RDFS + "subPropertyOf", _OWL + "equivalentProperty"})
_DEFAULT_AXIOMS = frozenset({_RDFS + "subClassOf", _OWL + "onProperty", _OWL + "hasValue"})


def apply_rule(
    store: Store, rule: rules.Rule, *, before: int | None = None
) -> tuple[int, set[str] | None]:
    """Add what one rule derives to the derived graph; return how many triples it added
    and their keys (None when the store cannot tell: then, the rule's writes).

    A store whose SPARQL Update ``WHERE`` sees the union of all graphs says so with a
    true ``update_sees_union`` attribute and runs the rule as one update (``before``: the
    size of the derived graph, when the caller knows it); so does a ``ScratchStore``
    (``stages_derived``), which also tells exactly what the rule added.  On the others
    (Oxigraph) the rule's ``CONSTRUCT`` runs over the union and its triples are added to
    the derived graph in one transaction (as N-Triples inside Oxigraph when the store
    says ``derives_serialized``).  Every rule derives
    only triples the derived graph does not hold, so what comes back is new.
    """
    if getattr(store, "stages_derived", False):
        return _apply_staged(store, rule)
    if getattr(store, "update_sees_union", False):
        if before is None:
            before = derived_count(store)
        store.update(rule.update)
        added = derived_count(store) - before
        return added, (None if added else set())
    if getattr(store, "derives_serialized", False):
        return _apply_serialized(store, rule)
    return _apply_terms(store, rule)


def _apply_terms(store: Store, rule: rules.Rule) -> tuple[int, set[str]]:
    """``apply_rule`` with the rule's triples crossing into Python as terms."""
    graph = _DERIVED_NODE
    quads = {
        ox.Quad(t.subject, t.predicate, t.object, graph) for t in store.construct(rule.construct)
    }
    if quads:
        store.add_quads(quads)
    return len(quads), _keys(quads)


def _apply_staged(store, rule: rules.Rule) -> tuple[int, set[str]]:
    """``apply_rule`` on a ``ScratchStore``: one update, and what it added read back from
    its stage (a graph of that run alone) by predicate and class."""
    stage = store.new_stage()
    store.update(rule.staged_update(store.asserted_graph, stage))
    count, keys = 0, set()
    for row in store.select(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH <{stage}> "
                            "{ ?s ?p ?o } } GROUP BY ?p"):
        count += int(row["n"].value)
        if row["p"].value != RDF_TYPE:
            keys.add(row["p"].value)
            continue
        for typed in store.select(f"SELECT DISTINCT ?c WHERE {{ GRAPH <{stage}> "
                                  f"{{ ?s <{RDF_TYPE}> ?c }} }}"):
            keys.add(f"type {typed['c'].value}")
    store.staged(stage, count)
    return count, keys


# In N-Triples written by Oxigraph, a triple is one line "subject predicate object ." with
# the predicate an IRI after the first space (a subject is an IRI or a blank node label).
_PREDICATE = re.compile(rb"^\S+ <([^>]*)>", re.MULTILINE)
_CLASS = re.compile(rb"^\S+ <" + re.escape(RDF_TYPE.encode()) + rb"> <([^>]*)>", re.MULTILINE)


def _apply_serialized(store, rule: rules.Rule) -> tuple[int, set[str]]:
    """``apply_rule`` on an Oxigraph store (``derives_serialized``): the rule's triples
    cross from the query to the derived graph as N-Triples, inside Oxigraph, not as a
    Python object per triple (a third of the derivation's time); their keys and number
    are read from those bytes.  Oxigraph's loader gives blank nodes new labels, so when
    a blank node may be among the triples (``_:`` anywhere) or a triple term (``<<``),
    they are parsed in Python, which keeps the labels, and added as terms; bytes the
    parser refuses (a term Oxigraph writes but does not read back) take the terms' way."""
    data = store.raw.query(rule.construct, use_default_graph_as_union=True).serialize(
        format=ox.RdfFormat.N_TRIPLES) or b""
    if not data:
        return 0, set()
    lines = set(data.splitlines())
    keys = {p.decode() for p in set(_PREDICATE.findall(data))}
    if RDF_TYPE in keys:
        keys.discard(RDF_TYPE)
        keys.update(f"type {c.decode()}" for c in set(_CLASS.findall(data)))
    try:
        if b"_:" in data or b"<<" in data:
            quads = [ox.Quad(q.subject, q.predicate, q.object, _DERIVED_NODE)
                     for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]
            store.add_quads(quads)
        else:
            store.raw.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=_DERIVED_NODE,
                           lenient=True)
    except SyntaxError:  # nothing was added: the load is one transaction
        return _apply_terms(store, rule)
    except OSError as exc:
        raise StoreError(str(exc)) from None
    return len(lines), keys


def _keys(quads: Iterable[ox.Quad]) -> set[str]:
    keys = set()
    for q in quads:
        p = q.predicate.value
        keys.add(f"type {q.object.value}" if p == RDF_TYPE else p)
    return keys


def _reads_any(reads: frozenset[str], keys: Iterable[str]) -> bool:
    """Whether a rule reading ``reads`` reads any of ``keys``.  rdf:type itself (a property
    an inverse or subproperty rule names) stands for the triples of every class."""
    for key in keys:
        if key in reads:
            return True
        if key in (ANY_TYPE, RDF_TYPE):
            if any(r.startswith("type ") or r == RDF_TYPE for r in reads):
                return True
        elif key.startswith("type ") and (ANY_TYPE in reads or RDF_TYPE in reads):
            return True
    return False


def materialize(store: Store) -> MaterializeStats:
    """Recompute every derived triple from scratch into ``vocab.DERIVED_GRAPH``.

    Clears the derived graph, then runs the rules of ``educluster.reasoning.rules`` in
    order, again and again, until none of them derives anything new (a rule runs again
    only when something it reads changed after its last run).  Asserted graphs are never
    changed; running it twice gives the same derived graph.
    """
    start = time.perf_counter()
    ensure_ontology(store)
    store.clear_graph(DERIVED_GRAPH)
    steps = plan(store)
    groups = _independent(steps) if getattr(store, "derives_in_threads", False) else [steps]
    stats = _run_side_by_side(store, groups) if len(groups) > 1 else _run(store, steps)
    stats.derived = derived_count(store)
    stats.seconds = time.perf_counter() - start
    return stats


#: threads independent groups of rules run in (``derives_in_threads`` stores)
DERIVE_THREADS = THREADS


def _independent(steps: list[Step]) -> list[list[Step]]:
    """``steps`` as groups, each in the plan's order, that read nothing another group
    writes and write nothing another group writes: each group's fixpoint is then its own,
    and together they are the fixpoint of all (for the shipped ontology: the
    memberships and their super- and inverse properties; the transitive regions; the
    class closure, defaults and orientations)."""
    group = list(range(len(steps)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i, a in enumerate(steps):
        for j in range(i + 1, len(steps)):
            b = steps[j]
            if (_reads_any(a.reads, b.writes) or _reads_any(b.reads, a.writes)
                    or _reads_any(a.writes, b.writes)):
                group[root(j)] = root(i)
    groups: dict[int, list[Step]] = {}
    for i, step in enumerate(steps):
        groups.setdefault(root(i), []).append(step)
    return list(groups.values())


def _run_side_by_side(store: Store, groups: list[list[Step]]) -> MaterializeStats:
    """``_run`` for each of the independent ``groups``, in ``DERIVE_THREADS`` threads."""
    done = run_in_threads([lambda g=g: _run(store, g) for g in groups], DERIVE_THREADS)
    timings: dict[str, float] = {}
    for stats in done:
        for name, seconds in stats.rule_seconds.items():
            timings[name] = timings.get(name, 0.0) + seconds
    return MaterializeStats(
        derived=sum(s.derived for s in done), rounds=max(s.rounds for s in done),
        seconds=0.0, rule_seconds=timings, rule_runs=sum(s.rule_runs for s in done))


def _run(store: Store, steps: list[Step], scope: list[str] | None = None) -> MaterializeStats:
    """Run the rules to a fixpoint (only for subjects in ``scope`` when given)."""
    timings: dict[str, float] = {}
    produced: list[tuple[int, set[str]]] = []  # (clock, keys written then)
    last_run: dict[str, int] = {}  # rule (by its text) -> clock of its last run
    clock = runs = rounds = new_triples = 0
    # the derived graph's size, kept along by stores that run the rules as updates
    size = derived_count(store) if getattr(store, "update_sees_union", False) else None
    engine = getattr(store, "engine", "")
    for _ in range(MAX_ROUNDS):
        progress = False
        runs_before = runs
        for step in steps:
            key = step.rule.construct
            if key in last_run:
                changed = (keys - step.ignores for at, keys in produced if at > last_run[key])
                if not any(_reads_any(step.reads, keys) for keys in changed):
                    continue
            clock += 1
            runs += 1
            t0 = time.perf_counter()
            rule = step.rule.for_engine(engine)
            if scope is not None:
                rule = rule.scoped(scope)
            count, added = apply_rule(store, rule, before=size)
            new_triples += count
            if size is not None:
                size += count
            timings[step.rule.name] = timings.get(step.rule.name, 0.0) + (
                time.perf_counter() - t0
            )
            last_run[key] = clock
            if added is None:
                added = set(step.writes)
            if added:
                produced.append((clock, added))
                progress = True
        if runs > runs_before:
            rounds += 1
        if not progress:
            break
    return MaterializeStats(
        derived=new_triples, rounds=rounds, seconds=0.0, rule_seconds=timings, rule_runs=runs
    )


# -- keeping derived knowledge current after a known change -------------------------------
#: Predicates of ontology axioms: a change to one of them re-derives everything.
TBOX_PREDICATES = frozenset({
    _RDFS + "subClassOf", _RDFS + "subPropertyOf", _OWL + "equivalentClass",
    _OWL + "equivalentProperty", _OWL + "inverseOf", _OWL + "onProperty", _OWL + "hasValue",
    _OWL + "intersectionOf", _RDF + "first", _RDF + "rest",
})
#: Past this many affected resources, re-deriving everything is as cheap.
MAX_SCOPE = 20_000


def update_derived(
    store: Store, changed: Iterable[ox.Quad | ox.Triple]
) -> MaterializeStats:
    """Bring the derived graph up to date after asserted triples ``changed`` (added or
    removed, either) — the same result as ``materialize``, at the cost of the change.

    The resources the change touches (subjects and objects of the changed triples, but
    not the classes of ``rdf:type`` triples) are widened to every resource whose derived
    triples can depend on them: the regions above them along a transitive property, the
    member and cluster of a membership, the cooperations they are partners of (when the
    change can make a difference to a partner's sector, education level or field, which
    is all R1 reads of a partner), the clusters of the cooperations in scope.  Of the
    derived triples about those resources, those of the properties and classes the
    change can reach through the rules (``_reachable``) are removed, and the rules that
    read or write those re-run for those resources alone.
    Falls back to ``materialize`` when the change touches the ontology (or can reach its
    axioms through the rules: a user's subproperty of rdfs:subClassOf) or a blank node,
    when nothing was derived yet, when it affects very many resources, when the
    ontology gives rdf:type an inverse (then a class's derived triples follow every
    type of its instances, derived types too), or when the change can reach a property
    with an inverse that rules derive towards resources the widening does not find
    (``_inverse_beyond_scope``).  The stats' ``derived`` counts the triples re-derived
    for the affected resources.
    """
    start = time.perf_counter()
    touched: set[str] = set()
    keys: set[str] = set()  # what the change is about, in the plan's keys
    for item in changed:
        if isinstance(item, ox.Quad) and isinstance(item.graph_name, ox.NamedNode):
            if item.graph_name.value == DERIVED_GRAPH:
                continue
            if item.graph_name.value == ONTOLOGY_GRAPH:
                return materialize(store)
        if item.predicate.value in TBOX_PREDICATES or isinstance(item.subject, ox.BlankNode):
            return materialize(store)
        if isinstance(item.object, ox.BlankNode):
            return materialize(store)
        touched.add(item.subject.value)
        if item.predicate.value != RDF_TYPE:
            keys.add(item.predicate.value)
        else:
            keys.add(f"type {item.object.value}" if isinstance(item.object, ox.NamedNode)
                     else ANY_TYPE)
        if isinstance(item.object, ox.NamedNode):
            if item.predicate.value == RDF_TYPE:
                if item.object.value.startswith(_OWL):
                    return materialize(store)
                # not the class: it has many instances, and only an inverse of rdf:type
                # derives anything about it from them (that takes the full derivation)
                continue
            touched.add(item.object.value)
    if not touched:
        return MaterializeStats(0, 0, time.perf_counter() - start)
    if not store.ask(f"ASK {{ GRAPH <{DERIVED_GRAPH}> {{ ?s ?p ?o }} }}"):
        return materialize(store)
    steps = plan(store)
    if any(s.rule.name == "inverse" and RDF_TYPE in s.reads for s in steps):
        return materialize(store)
    transitive = [next(iter(s.reads)) for s in steps if s.rule.name == "transitive"]
    reached = _reachable(steps, keys)
    if reached & TBOX_PREDICATES or _inverse_beyond_scope(steps, reached):
        return materialize(store)
    scope = _widen(store, touched, transitive, bool(reached & _PARTNER_KEYS))
    if scope is None or len(scope) > MAX_SCOPE:
        return materialize(store)
    # A derived triple whose key the change cannot reach is derived by rules that read
    # nothing it can reach: it stays, and those rules do not run again.
    steps = [s for s in steps if _reads_any(s.reads, reached) or _reads_any(s.writes, reached)]
    iris = sorted(scope)
    keyed = _key_filter(reached)
    for chunk in _chunks(iris, 500):
        values = " ".join(f"<{i}>" for i in chunk)
        store.update(
            f"DELETE {{ GRAPH <{DERIVED_GRAPH}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ VALUES ?s {{ {values} }} GRAPH <{DERIVED_GRAPH}> {{ ?s ?p ?o }} "
            f"FILTER ({keyed}) }}"
        )
    stats = _run(store, steps, iris)
    stats.seconds = time.perf_counter() - start
    return stats


def _inverse_beyond_scope(steps: list[Step], reached: set[str]) -> bool:
    """Whether ``reached`` holds a property with an inverse that a rule can derive towards
    a resource outside the scope: a default's value, a transitive property's far end,
    an orientation (directly, or through a subproperty).  Its inverse's triples are
    about that resource, which re-deriving the scope would not reach.  Memberships and
    subproperties keep both ends of the triples they follow, which the scope holds."""
    inverse = next((s for s in steps if s.rule.name == "inverse"), None)
    if inverse is None:
        return False
    far: set[str] = set()
    for step in steps:
        if step.rule.name not in ("membership", "subproperty", "inverse"):
            far |= step.writes
    for step in steps:
        if step.rule.name == "subproperty" and _reads_any(step.reads, far):
            far |= step.writes
    return bool(inverse.reads & far & reached)


def _key_filter(keys: set[str]) -> str:
    """A SPARQL condition on ``?p`` and ``?o`` true for the triples of ``keys``."""
    properties = sorted(k for k in keys if not k.startswith("type "))
    classes = sorted(k[5:] for k in keys if k.startswith("type ") and k != ANY_TYPE)
    parts = []
    if properties:
        parts.append(f"?p IN ({', '.join(f'<{p}>' for p in properties)})")
    if ANY_TYPE in keys:
        parts.append(f"sameTerm(?p, <{RDF_TYPE}>)")
    elif classes:
        parts.append(f"(sameTerm(?p, <{RDF_TYPE}>) && "
                     f"?o IN ({', '.join(f'<{c}>' for c in classes)}))")
    return " || ".join(parts) or "false"


#: What R1 reads of a cooperation's partners (besides who they are).
_PARTNER_KEYS = frozenset({EC_IRI + "sector", EC_IRI + "educationLevel", EC_IRI + "field"})


def _reachable(steps: list[Step], keys: set[str]) -> set[str]:
    """``keys`` and every key a rule of ``steps`` can write, directly or through other
    rules, when triples of ``keys`` change: by the same reads and writes the fixpoint runs
    rules again by, except that a subclass rule whose pairs are known writes only the
    superclasses of the classes reached (not every class)."""
    reached = set(keys)
    grew = True
    while grew:
        grew = False
        for step in steps:
            if not _reads_any(step.reads, reached):
                continue
            writes = step.writes
            if step.pairs is not None and not {ANY_TYPE, RDF_TYPE} & reached:
                classes = {key[5:] for key in reached if key.startswith("type ")}
                writes = frozenset(f"type {b}" for a, b in step.pairs if a in classes)
            if not writes <= reached:
                reached |= writes
                grew = True
    return reached


def _widen(store: Store, touched: set[str], transitive: list[str],
           partners: bool = True) -> set[str] | None:
    """The resources whose derived triples may depend on ``touched``; None if a blank node
    is among them (they cannot be named in a query).  ``partners``: whether the
    cooperations of what is in scope are too (the change may alter what R1 reads of their
    partners)."""
    scope = set(touched)
    values = " ".join(f"<{i}>" for i in sorted(touched))
    # The start of the path comes from a sub-select: Virtuoso does not count a VALUES
    # block as binding it ("transitive start not given").
    queries = [
        f"SELECT DISTINCT ?n WHERE {{ {{ SELECT ?t WHERE {{ VALUES ?t {{ {values} }} }} }} "
        f"?n <{p}>+ ?t }}"
        for p in transitive
    ]
    queries.append(
        f"SELECT DISTINCT ?n WHERE {{ VALUES ?t {{ {values} }} "
        f"{{ ?t <{ORG_IRI}member> ?n }} UNION {{ ?t <{ORG_IRI}organization> ?n }} }}"
    )
    for query in queries:
        for row in store.select(query):
            if not _add(scope, row["n"]):
                return None
    # Then, in turn, each widening the scope the next one starts from: the cooperations
    # of what is in scope, and the clusters of the cooperations in scope.
    patterns = [f"?n <{EC_IRI}partner> ?t"] if partners else []
    for pattern in (*patterns, f"?t <{EC_IRI}inCluster> ?n"):
        values = " ".join(f"<{i}>" for i in sorted(scope))
        rows = store.select(f"SELECT DISTINCT ?n WHERE {{ VALUES ?t {{ {values} }} {pattern} }}")
        for row in rows:
            if not _add(scope, row["n"]):
                return None
    return scope


def _add(scope: set[str], term) -> bool:
    if isinstance(term, ox.NamedNode):
        scope.add(term.value)
        return True
    return not isinstance(term, ox.BlankNode)  # literals play no part


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


_ORIENTATION_CLASSES = {EC_IRI + f"{k}Cluster": EC_IRI + k for k in _KINDS}


def cluster_orientations(store: Store) -> dict[str, str]:
    """Every cluster with a derived orientation: cluster IRI -> orientation concept IRI."""
    values = " ".join(f"<{c}>" for c in _ORIENTATION_CLASSES)
    rows = store.select(
        rules.PREFIXES
        + f"""SELECT ?cluster ?orientation WHERE {{
          GRAPH <{DERIVED_GRAPH}> {{ ?cluster a ?class ; ec:orientation ?orientation }}
          VALUES ?class {{ {values} }}
        }}"""
    )
    return {_key(row["cluster"]): row["orientation"].value for row in rows}


def _key(term) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)
