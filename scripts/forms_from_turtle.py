"""Write a Turtle cluster definition in the analyst forms (YAML and CSV workbook).

    python scripts/forms_from_turtle.py data/tashkent-teacher-education.ttl \
        --yaml data/forms/tashkent.yaml --csv-dir data/forms/tashkent --prefix tashkent

The forms are meant to be edited by hand afterwards; this script only saves typing them
from a Turtle file, and tests/test_importers.py checks that each form gives back the same
RDF.  Properties the forms have no key for are kept as ``prefix:name`` keys/columns.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import yaml
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, XSD

from educluster.vocab import EC, EC_IRI, ID_IRI, PREFIXES

_HANDLED_COMMON = {RDFS.label, RDFS.comment, DCTERMS.description, DCTERMS.source,
                   EC.illustrative}


def curie(term) -> str:
    text = str(term)
    if text.startswith(ID_IRI):
        return text[len(ID_IRI):]
    for prefix, ns in PREFIXES.items():
        if prefix != "id" and text.startswith(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text


def vocab(term) -> str:
    text = str(term)
    return text[len(EC_IRI):] if text.startswith(EC_IRI) else curie(term)


def one_or_many(values: list):
    values = sorted(values, key=str)
    return values[0] if len(values) == 1 else values


class Writer:
    def __init__(self, g: Graph):
        self.g = g

    def common(self, node, record: dict, handled: set) -> dict:
        g = self.g
        labels_en = [o for o in g.objects(node, RDFS.label) if o.language == "en"]
        if labels_en:
            record["label"] = str(labels_en[0])
        others: dict[str, list[str]] = {}
        for o in g.objects(node, RDFS.label):
            if o.language != "en":
                others.setdefault(o.language, []).append(str(o))
        if others:
            record["labels"] = {k: one_or_many(v) for k, v in sorted(others.items())}
        for prop, key in ((DCTERMS.description, "description"), (RDFS.comment, "comment")):
            for o in g.objects(node, prop):
                record[key] = str(o)
        sources = [str(o) for o in g.objects(node, DCTERMS.source)]
        if sources:
            record["source"] = one_or_many(sources)
        if (node, EC.illustrative, Literal(True)) in g:
            record["illustrative"] = True
        # everything else: prefix:name keys
        extras: dict[str, list] = {}
        for p, o in g.predicate_objects(node):
            if p in handled or p in _HANDLED_COMMON or p == RDF.type:
                continue
            key = curie(p)
            if isinstance(o, Literal) and o.language:
                key += "@" + o.language
            value = f"<{curie(o)}>" if isinstance(o, URIRef) else (
                o.toPython() if o.datatype in (XSD.boolean, XSD.integer) else str(o))
            extras.setdefault(key, []).append(value)
        for key, values in sorted(extras.items()):
            record[key] = one_or_many(values)
        return record

    def typed(self, node, record: dict, default=None):
        types = [vocab(t) for t in self.g.objects(node, RDF.type)]
        if types:
            record["type"] = one_or_many(types)
        return record


def build(g: Graph) -> dict:
    w = Writer(g)
    doc: dict = {}
    cluster = next(iter(g.subjects(EC.region, None)))
    c = {"id": curie(cluster)}
    w.typed(cluster, c)
    c["region"] = curie(g.value(cluster, EC.region))
    c["led_by"] = one_or_many([curie(o) for o in g.objects(cluster, EC.ledBy)])
    c["common_goals"] = sorted(curie(o) for o in g.objects(cluster, EC.commonGoal))
    c["coordinators"] = sorted(curie(o) for o in g.objects(cluster, EC.coordinator))
    for key, prop in (("area", EC.area), ("interaction_model", EC.interactionModel),
                      ("orientation", EC.orientation)):
        vals = [vocab(o) for o in g.objects(cluster, prop)]
        if vals:
            c[key] = sorted(vals)
    w.common(cluster, c, {EC.region, EC.ledBy, EC.commonGoal, EC.coordinator, EC.objective,
                          EC.area, EC.interactionModel, EC.orientation})
    doc["regions"] = []
    for r in sorted(g.subjects(RDF.type, EC.Region)):
        rec = {"id": curie(r)}
        parents = [curie(o) for o in g.objects(r, EC.partOfRegion)]
        if parents:
            rec["part_of"] = one_or_many(parents)
        doc["regions"].append(w.common(r, rec, {EC.partOfRegion}))
    doc["roles"] = [w.common(r, {"id": curie(r)}, set())
                    for r in sorted(g.subjects(RDF.type, ORG.Role))]
    doc["goals"] = [w.common(r, {"id": curie(r)}, set())
                    for r in sorted(g.subjects(RDF.type, EC.Goal))]
    people = []
    for p in sorted(g.subjects(RDF.type, FOAF.Person)):
        rec = {"id": curie(p)}
        if g.value(p, FOAF.name):
            rec["name"] = str(g.value(p, FOAF.name))
        aff = [curie(o) for o in g.objects(p, EC.affiliation)]
        if aff:
            rec["affiliation"] = one_or_many(aff)
        people.append(w.common(p, rec, {FOAF.name, EC.affiliation}))
    doc["people"] = people
    objectives = []
    for o in sorted(g.objects(cluster, EC.objective)):
        rec = {"id": curie(o)}
        rec["serves"] = one_or_many([curie(x) for x in g.objects(o, EC.servesGoal)])
        rec["indicators"] = sorted(str(x) for x in g.objects(o, EC.indicator))
        rec["deadline"] = str(g.value(o, EC.deadline))
        objectives.append(w.common(o, rec, {EC.servesGoal, EC.indicator, EC.deadline,
                                            RDF.type}))
    c["objectives"] = objectives
    members = []
    for m in sorted(g.subjects(ORG.organization, cluster)):
        member = g.value(m, ORG.member)
        rec = {"id": curie(member)}
        w.typed(member, rec)
        for key, prop in (("located_in", EC.locatedIn), ("jurisdiction", EC.jurisdiction),
                          ("level", EC.educationLevel), ("sector", EC.sector),
                          ("field", EC.field)):
            vals = [vocab(o) if key in ("level", "sector", "field") else curie(o)
                    for o in g.objects(member, prop)]
            if vals:
                rec[key] = one_or_many(vals)
        if (member, EC.finances, cluster) in g:
            rec["finances"] = True
        w.common(member, rec, {EC.locatedIn, EC.jurisdiction, EC.educationLevel, EC.sector,
                               EC.field, EC.finances})
        ms = {"id": curie(m)}
        roles = [curie(o) for o in g.objects(m, ORG.role)]
        if roles:
            ms["role"] = one_or_many(roles)
        resp = sorted(str(o) for o in g.objects(m, EC.responsibility))
        if resp:
            ms["responsibilities"] = resp
        if g.value(m, EC.privateInterest):
            ms["private_interest"] = str(g.value(m, EC.privateInterest))
        goals = [curie(o) for o in g.objects(m, EC.specificGoal)]
        if goals:
            ms["specific_goal"] = one_or_many(goals)
        w.common(m, ms, {ORG.member, ORG.organization, ORG.role, EC.responsibility,
                         EC.privateInterest, EC.specificGoal})
        rec["membership"] = ms
        members.append(rec)
    c["members"] = members
    coops = []
    for k in sorted(g.subjects(EC.inCluster, cluster)):
        rec = {"id": curie(k), "partners": sorted(curie(o) for o in g.objects(k, EC.partner))}
        for key, prop in (("area", EC.area), ("interaction_model", EC.interactionModel),
                          ("orientation", EC.orientation)):
            vals = [vocab(o) for o in g.objects(k, prop)]
            if vals:
                rec[key] = one_or_many(vals)
        coops.append(w.common(k, rec, {EC.partner, EC.inCluster, EC.area,
                                       EC.interactionModel, EC.orientation}))
    c["cooperations"] = coops
    projects = []
    for p in sorted(g.subjects(EC.runBy, cluster)):
        rec = {"id": curie(p)}
        for key, prop in (("status", EC.status), ("pilot_result", EC.pilotResult),
                          ("direction", EC.direction)):
            vals = [vocab(o) for o in g.objects(p, prop)]
            if vals:
                rec[key] = one_or_many(vals)
        projects.append(w.common(p, rec, {EC.runBy, EC.status, EC.pilotResult, EC.direction}))
    c["projects"] = projects
    return {"cluster": c, **doc}


def write_csv(doc: dict, out: Path, prefix: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    c = doc["cluster"]
    cluster_row = {k: v for k, v in c.items()
                   if k not in ("objectives", "members", "cooperations", "projects",
                                "common_goals", "coordinators")}
    goals = [dict(g) for g in doc["goals"]]
    for g in goals:
        if g["id"] in c["common_goals"]:
            g["common_goal_of"] = c["id"]
    people = [dict(p) for p in doc["people"]]
    for p in people:
        if p["id"] in c["coordinators"]:
            p["coordinator_of"] = c["id"]
    members = []
    for m in c["members"]:
        row = {k: v for k, v in m.items() if k != "membership"}
        for k, v in m["membership"].items():
            row["membership_id" if k == "id" else f"membership.{k}"] = v
        members.append(row)
    sheets = {"clusters": [cluster_row], "regions": doc["regions"], "roles": doc["roles"],
              "goals": goals, "people": people, "objectives": c["objectives"],
              "participants": members, "cooperations": c["cooperations"],
              "projects": c["projects"]}
    for name, rows in sheets.items():
        if not rows:
            continue
        rows = [flatten_labels(row) for row in rows]
        columns: list[str] = []
        for row in rows:
            for k in row:
                if k not in columns:
                    columns.append(k)
        with (out / f"{prefix}-{name}.csv" if prefix else out / f"{name}.csv").open(
                "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([cell(row.get(k)) for k in columns])


def flatten_labels(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if k == "labels":
            out.update({f"label@{lang}": text for lang, text in v.items()})
        else:
            out[k] = v
    return out


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return " | ".join(f"{v}" for v in value.values())
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("turtle")
    parser.add_argument("--yaml")
    parser.add_argument("--csv-dir")
    parser.add_argument("--prefix", default="")
    args = parser.parse_args()
    g = Graph().parse(args.turtle)
    if any(isinstance(s, BNode) for s in g.subjects()):
        raise SystemExit("blank nodes are not supported by this converter")
    doc = build(g)
    if args.yaml:
        header = (f"# {doc['cluster'].get('label', 'A cluster')}: the YAML form of "
                  f"{args.turtle}.\n# The form is described in docs/analyst-forms.md.\n\n")
        body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
        Path(args.yaml).parent.mkdir(parents=True, exist_ok=True)
        Path(args.yaml).write_text(header + body, encoding="utf-8")
    if args.csv_dir:
        write_csv(doc, Path(args.csv_dir), args.prefix)


if __name__ == "__main__":
    main()
