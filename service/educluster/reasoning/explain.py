"""Why a cooperation or a cluster has the orientation it has, in words for analysts.

The orientation itself is read from the derived graph (``materialize`` must have run);
the explanation reads the partners' effective sector, level and field (asserted values,
else the defaults the rules derived) and names what differs, with the same set semantics
as rule R1 (see ``educluster.reasoning.rules``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from educluster.reasoning.rules import PREFIXES
from educluster.store import Store, Term
from educluster.vocab import DERIVED_GRAPH, EC_IRI

VERTICAL = EC_IRI + "Vertical"
HORIZONTAL = EC_IRI + "Horizontal"
MIXED = EC_IRI + "Mixed"

#: R1's attributes, in the order differences are listed.
ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("sector", EC_IRI + "sector"),
    ("level", EC_IRI + "educationLevel"),
    ("field", EC_IRI + "field"),
)

_LABEL_PROPERTIES = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://xmlns.com/foaf/0.1/name",
    "http://purl.org/dc/terms/title",
)


@dataclass
class CooperationExplanation:
    """Why one cooperation is vertical or horizontal.

    ``differences`` holds ``(attribute, value_a, value_b)`` with attribute ``"sector"``,
    ``"level"`` or ``"field"``, values as IRIs (or literal text) of the first and the
    second partner; ``None`` when a partner has no value, several values joined by a
    space.  Empty for a horizontal cooperation.
    """

    cooperation: str
    cluster: str | None
    partners: tuple[str, ...]
    partner_labels: tuple[str, ...]
    orientation: str | None
    differences: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    reason: str = ""


@dataclass
class ClusterExplanation:
    """Why a cluster is vertical, horizontal or mixed: its cooperations by orientation."""

    cluster: str
    orientation: str | None
    vertical: list[CooperationExplanation] = field(default_factory=list)
    horizontal: list[CooperationExplanation] = field(default_factory=list)
    #: cooperations of the cluster without an orientation (not exactly two partners)
    unoriented: list[CooperationExplanation] = field(default_factory=list)
    reason: str = ""
    label: str = ""


def explain_cooperation(store: Store, cooperation_iri: str) -> CooperationExplanation:
    """The orientation of one cooperation and what made it so."""
    found = _cooperations(store, f"VALUES ?cooperation {{ <{cooperation_iri}> }}")
    if found:
        return found[0]
    return CooperationExplanation(
        cooperation=cooperation_iri,
        cluster=None,
        partners=(),
        partner_labels=(),
        orientation=None,
        reason="no orientation: no cooperation with this IRI has a partner",
    )


def explain_cluster(store: Store, cluster_iri: str) -> ClusterExplanation:
    """The orientation of one cluster and the cooperations that made it so."""
    rows = store.select(
        PREFIXES
        + f"SELECT ?o WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ <{cluster_iri}> ec:orientation ?o }} }}"
    )
    orientation = rows[0]["o"].value if rows else None
    cooperations = _cooperations(store, f"?cooperation ec:inCluster <{cluster_iri}> .")
    labels = _labels(store, [cluster_iri])
    result = ClusterExplanation(
        cluster=cluster_iri, orientation=orientation, label=labels.get(cluster_iri, "")
    )
    for explanation in cooperations:
        if explanation.orientation == VERTICAL:
            result.vertical.append(explanation)
        elif explanation.orientation == HORIZONTAL:
            result.horizontal.append(explanation)
        else:
            result.unoriented.append(explanation)
    result.reason = _cluster_reason(result)
    return result


def cluster_reasons(store: Store, cluster_iris) -> dict[str, str]:
    """``explain_cluster(store, iri).reason`` for each of the clusters, from two queries in
    all (validation explains every cluster of a definition; one ``explain_cluster`` per
    cluster cost a query and a label lookup each).  The cooperations are counted inside
    the store, by cluster and orientation (R1 gives a cooperation one orientation at most)."""
    wanted = set(cluster_iris)
    orientation_of: dict[str, str | None] = {}
    for cluster, orientation in store.select_tuples(
        PREFIXES
        + f"""SELECT ?s ?o WHERE {{
          ?s a ec:Cluster .
          OPTIONAL {{ GRAPH <{DERIVED_GRAPH}> {{ ?s ec:orientation ?o }} }}
        }}""",
    ):
        if isinstance(cluster, ox.NamedNode) and orientation_of.get(cluster.value) is None:
            orientation_of[cluster.value] = orientation.value if orientation else None
    for iri in wanted - orientation_of.keys():  # not typed as a cluster: as explain_cluster
        rows = store.select(
            PREFIXES
            + f"SELECT ?o WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ <{iri}> ec:orientation ?o }} }}"
        )
        orientation_of[iri] = rows[0]["o"].value if rows else None
    counts: dict[str, list[int]] = {iri: [0, 0, 0] for iri in wanted}
    for cluster, orientation, number in store.select_tuples(
        PREFIXES
        + f"""SELECT ?cluster ?o (COUNT(DISTINCT ?cooperation) AS ?n) WHERE {{
          ?cooperation ec:inCluster ?cluster .
          FILTER EXISTS {{ ?cooperation ec:partner ?partner }}
          OPTIONAL {{ GRAPH <{DERIVED_GRAPH}> {{ ?cooperation ec:orientation ?o }} }}
        }} GROUP BY ?cluster ?o""",
    ):
        if not isinstance(cluster, ox.NamedNode) or cluster.value not in counts:
            continue
        value = orientation.value if orientation is not None else None
        slot = 0 if value == VERTICAL else 1 if value == HORIZONTAL else 2
        counts[cluster.value][slot] += int(number.value)
    return {iri: _reason(orientation_of.get(iri), *counts[iri]) for iri in wanted}


# -- reading ----------------------------------------------------------------------------
def _cooperations(store: Store, selector: str) -> list[CooperationExplanation]:
    """Explanations of the cooperations that ``selector`` (a graph pattern binding
    ?cooperation) picks, built from one query."""
    # FILTER IN, not a VALUES block: Oxigraph joined the block with every triple of the
    # store (validating 100,000 triples spent 4 of its 7 s here)
    attribute_of = {iri: name for name, iri in ATTRIBUTES}
    properties = ", ".join(f"<{iri}>" for iri in attribute_of)
    rows = store.select(
        PREFIXES
        + f"""SELECT ?cooperation ?cluster ?orientation ?partner ?property ?value WHERE {{
          {selector}
          ?cooperation ec:partner ?partner .
          OPTIONAL {{ ?cooperation ec:inCluster ?cluster }}
          OPTIONAL {{ GRAPH <{DERIVED_GRAPH}> {{ ?cooperation ec:orientation ?orientation }} }}
          OPTIONAL {{
            ?partner ?property ?value .
            FILTER (?property IN ({properties}))
          }}
        }}"""
    )
    coops: dict[Term, dict] = {}
    for row in rows:
        coop = coops.setdefault(
            row["cooperation"],
            {"cluster": None, "orientation": None, "partners": {}},
        )
        if "cluster" in row and coop["cluster"] is None:
            coop["cluster"] = row["cluster"]
        if "orientation" in row:
            coop["orientation"] = row["orientation"].value
        values = coop["partners"].setdefault(row["partner"], defaultdict(set))
        if "property" in row:
            values[attribute_of[row["property"].value]].add(row["value"])

    iris = set()
    for coop in coops.values():
        for partner, values in coop["partners"].items():
            iris.add(partner)
            for terms in values.values():
                iris.update(terms)
    labels = _labels(store, [t.value for t in iris if isinstance(t, ox.NamedNode)])

    explanations = []
    for term, coop in sorted(coops.items(), key=lambda item: str(item[0])):
        partners = sorted(coop["partners"], key=str)
        explanations.append(
            _explain(
                term, coop["cluster"], coop["orientation"], partners, coop["partners"], labels
            )
        )
    return explanations


def _labels(store: Store, iris: list[str]) -> dict[str, str]:
    """A human label for each IRI that has one (English or untagged preferred)."""
    if not iris:
        return {}
    values = " ".join(f"<{iri}>" for iri in sorted(set(iris)))
    props = ", ".join(f"<{p}>" for p in _LABEL_PROPERTIES)
    rows = store.select(
        f"""SELECT ?x ?property ?label WHERE {{
          VALUES ?x {{ {values} }}
          ?x ?property ?label . FILTER (?property IN ({props}) && isLiteral(?label))
        }}"""
    )
    best: dict[str, tuple[tuple[int, int, str], str]] = {}
    for row in rows:
        label: ox.Literal = row["label"]
        language = (label.language or "").lower()
        # English or untagged first, then by property, then the text for a stable choice
        key = (
            0 if language in ("", "en") or language.startswith("en-") else 1,
            _LABEL_PROPERTIES.index(row["property"].value),
            label.value,
        )
        iri = row["x"].value
        if iri not in best or key < best[iri][0]:
            best[iri] = (key, label.value)
    return {iri: text for iri, (_, text) in best.items()}


# -- explaining -------------------------------------------------------------------------
def _explain(
    term: Term,
    cluster: Term | None,
    orientation: str | None,
    partners: list[Term],
    values: dict[Term, dict[str, set[Term]]],
    labels: dict[str, str],
) -> CooperationExplanation:
    def name(t: Term) -> str:
        """A partner's or a value's label; else a value's local name in words."""
        if isinstance(t, ox.NamedNode):
            if t.value in labels:
                return labels[t.value]
            return t.value if t in partners else _local_name(t)
        return t.value if isinstance(t, ox.Literal) else str(t)

    explanation = CooperationExplanation(
        cooperation=_text(term),
        cluster=_text(cluster) if cluster is not None else None,
        partners=tuple(_text(p) for p in partners),
        partner_labels=tuple(name(p) for p in partners),
        orientation=orientation,
    )
    if len(partners) != 2:
        explanation.reason = (
            f"no orientation: the cooperation has {len(partners)} "
            f"partner{'s' if len(partners) != 1 else ''}; a cooperation links exactly two"
        )
        return explanation
    a, b = partners
    va, vb = values[a], values[b]
    phrases = []
    for attribute, _ in ATTRIBUTES:
        sa, sb = va.get(attribute, set()), vb.get(attribute, set())
        if attribute == "field" and not (sa and sb):
            continue
        if sa != sb:
            explanation.differences.append((attribute, _joined(sa), _joined(sb)))
            phrases.append(_difference_phrase(attribute, name(a), sa, name(b), sb, name))
    if orientation is None:
        explanation.reason = "no orientation derived yet"
    elif orientation == VERTICAL:
        explanation.reason = "vertical: " + "; ".join(phrases)
    else:
        shared = []
        for attribute, _ in ATTRIBUTES:
            common = va.get(attribute, set())
            if attribute == "field" and not (common and vb.get(attribute)):
                continue
            shown = ", ".join(sorted(name(v) for v in common)) if common else "none"
            shared.append(f"{attribute} ({shown})")
        explanation.reason = (
            f"horizontal: {name(a)} and {name(b)} share " + _and(shared)
        )
    return explanation


def _difference_phrase(
    attribute: str, a: str, sa: set[Term], b: str, sb: set[Term], name
) -> str:
    def values(s: set[Term]) -> str:
        return " and ".join(sorted(name(v) for v in s))

    def one(who: str, s: set[Term], first: bool) -> str:
        if attribute == "level":
            if not s:
                return f"{who} has no education level"
            text = values(s)
            suffix = "" if text.lower().endswith("level") else " level"
            return f"{who} is at {text}{suffix}" if first else f"{who} at {text}{suffix}"
        if attribute == "sector":
            if not s:
                return f"{who} has no sector"
            text = values(s)
            suffix = "" if text.lower().endswith("sector") else " sector"
            return f"{who} is in the {text}{suffix}" if first else f"{who} in the {text}{suffix}"
        return f"{who} works in {values(s)}" if first else f"{who} in {values(s)}"

    if not sa or not sb:
        # "X has no level" reads badly after a comma with an elided verb: spell both out
        return f"{one(a, sa, True)}, {one(b, sb, True)}"
    return f"{one(a, sa, True)}, {one(b, sb, False)}"


def _cluster_reason(result: ClusterExplanation) -> str:
    return _reason(
        result.orientation, len(result.vertical), len(result.horizontal), len(result.unoriented)
    )


def _reason(orientation: str | None, nv: int, nh: int, nu: int) -> str:
    """A cluster's reason from its orientation and its numbers of vertical, horizontal and
    unoriented cooperations."""
    if orientation is None:
        if nv + nh + nu == 0:
            return "no orientation: the cluster has no cooperation"
        if nv + nh == 0:
            return (
                f"no orientation: none of its {_count(nu, 'cooperation')} links exactly "
                "two partners"
            )
        return "no orientation derived yet"
    if orientation == MIXED:
        text = f"mixed: {_count(nv, 'vertical')} and {_count(nh, 'horizontal')} cooperation"
        return text + ("s" if nh != 1 else "")
    kind = "vertical" if orientation == VERTICAL else "horizontal"
    n = nv if kind == "vertical" else nh
    if n == 1:
        return f"{kind}: its only cooperation is {kind}"
    return f"{kind}: all {n} cooperations are {kind}"


def _count(n: int, noun: str) -> str:
    if noun == "cooperation":
        return f"{n} cooperation{'s' if n != 1 else ''}"
    return f"{n} {noun}"


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _joined(terms: set[Term]) -> str | None:
    if not terms:
        return None
    return " ".join(sorted(_text(t) for t in terms))


def _text(term: Term) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)


def _local_name(term: ox.NamedNode) -> str:
    """``ec:HigherLevel`` -> "higher level", for values without a label."""
    local = re.split(r"[#/]", term.value.rstrip("/#"))[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").replace("-", " ")
    return words.lower() if words[:1].isupper() and not words.isupper() else words
