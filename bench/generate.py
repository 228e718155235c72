"""A deterministic generator of synthetic educational clusters in our vocabulary.

``generate(n_triples, seed)`` returns N-Triples text of about ``n_triples`` triples:
clusters of 20 to 60 members of every participant kind, each member with a membership
(role, responsibility, private interest), about one and a half cooperations per member
(mostly with the cluster's university, some between peers), regions in a small
hierarchy, a leading authority, goals and objectives with an indicator and a deadline.
A few participants state an explicit education level or a field, so that defaults and
R1's field clause are used.

About ``defects`` (default 3 %) of the places where a principle can be broken are broken
on purpose, so that validation has violations to find: a cluster without a leading
authority or without a common goal, a membership without responsibility or role, a
member located outside the cluster's region, a cooperation with a single partner.  The
same ``(n_triples, seed, defects)`` always gives the same text.
"""

from __future__ import annotations

import random

EC = "https://w3id.org/educluster#"
ID = "https://w3id.org/educluster/id/"
ORG = "http://www.w3.org/ns/org#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

KINDS = [
    ("GeneralSecondarySchool", 50),
    ("PreschoolInstitution", 15),
    ("AcademicLyceum", 5),
    ("VocationalCollege", 5),
    ("ProfessionalDevelopmentInstitute", 3),
    ("ResearchInstitute", 4),
    ("Enterprise", 8),
    ("HigherEducationInstitution", 4),
]
LEVELS = ["GeneralSecondaryLevel", "HigherLevel", "SecondarySpecializedLevel"]
FIELDS = ["mathematics", "physics", "pedagogy", "computer science"]
AREAS = ["EducationalMethodological", "ScientificMethodological", "StaffDevelopment",
         "CareerGuidance"]
CLUSTER_KINDS = ["TeacherEducationCluster", "PreschoolEducationCluster",
                 "MethodologicalCluster", "ProfessionalDevelopmentCluster"]


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(n_triples: int, seed: int = 1, defects: float = 0.03) -> str:
    """N-Triples text of about ``n_triples`` triples of synthetic clusters, with about
    ``defects`` of the breakable principles broken."""
    rng = random.Random(seed)
    # defects draw from their own generator: the clusters' shape does not depend on them
    flaw = random.Random(seed * 7919 + 1)

    def broken() -> bool:
        return flaw.random() < defects
    lines: list[str] = []

    def t(s: str, p: str, o: str) -> None:
        lines.append(f"{s} {p} {o} .\n")

    a, label = _iri(RDF_TYPE), _iri(LABEL)
    ec = {name: _iri(EC + name) for name in (
        "region", "partOfRegion", "locatedIn", "ledBy", "commonGoal", "objective",
        "servesGoal", "indicator", "partner", "inCluster", "area", "educationLevel", "field",
        "jurisdiction", "responsibility", "privateInterest", "Region", "Cooperation", "Goal",
        "Objective", "PublicAuthority", "deadline",
    )}
    country = _iri(ID + "region/country")
    t(country, a, ec["Region"])
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    cluster_no = 0
    while len(lines) < n_triples:
        cluster_no += 1
        c = f"{ID}cluster-{cluster_no}"
        cluster = _iri(c)
        region = _iri(f"{ID}region/{cluster_no}")
        t(region, a, ec["Region"])
        t(region, ec["partOfRegion"], country)
        t(cluster, a, _iri(EC + rng.choice(CLUSTER_KINDS)))
        t(cluster, label, _lit(f"Cluster {cluster_no}"))
        t(cluster, ec["region"], region)
        goal = _iri(f"{c}/goal")
        t(goal, a, ec["Goal"])
        if not broken():
            t(cluster, ec["commonGoal"], goal)
        objective = _iri(f"{c}/objective")
        t(objective, a, ec["Objective"])
        t(objective, ec["servesGoal"], goal)
        t(objective, ec["indicator"], _lit("graduates employed"))
        t(objective, ec["deadline"], f'"{2026 + cluster_no % 5}-06-30"^^<{XSD_DATE}>')
        t(cluster, ec["objective"], objective)

        size = rng.randint(20, 60)
        members = []
        authority = _iri(f"{c}/authority")
        university = _iri(f"{c}/university")
        for i in range(size):
            if i == 0:
                node, kind = authority, "PublicAuthority"
            elif i == 1:
                node, kind = university, "HigherEducationInstitution"
            else:
                node, kind = _iri(f"{c}/member-{i}"), rng.choices(kinds, weights)[0]
            members.append(node)
            t(node, a, _iri(EC + kind))
            t(node, label, _lit(f"{kind} {i} of cluster {cluster_no}"))
            elsewhere = i > 1 and broken()
            t(node, ec["locatedIn"], _iri(f"{ID}region/elsewhere") if elsewhere else region)
            if rng.random() < 0.05:
                t(node, ec["educationLevel"], _iri(EC + rng.choice(LEVELS)))
            if rng.random() < 0.2:
                t(node, ec["field"], _lit(rng.choice(FIELDS)))
            m = _iri(f"{c}/membership-{i}")
            t(m, a, _iri(ORG + "Membership"))
            t(m, _iri(ORG + "member"), node)
            t(m, _iri(ORG + "organization"), cluster)
            if i < 2 or not broken():
                t(m, _iri(ORG + "role"), _iri(f"{ID}role-partner"))
            if i < 2 or not broken():
                t(m, ec["responsibility"], _lit("joint programmes"))
            t(m, ec["privateInterest"], _lit("qualified staff"))
        if not broken():
            t(cluster, ec["ledBy"], authority)
        t(authority, ec["jurisdiction"], region)

        for j in range(int(size * 1.5)):
            if rng.random() < 0.6:
                pa, pb = university, rng.choice(members[2:])
            else:
                pa, pb = rng.sample(members[1:], 2)
            coop = _iri(f"{c}/cooperation-{j}")
            t(coop, a, ec["Cooperation"])
            t(coop, ec["partner"], pa)
            if not broken():
                t(coop, ec["partner"], pb)
            t(coop, ec["inCluster"], cluster)
            t(coop, ec["area"], _iri(EC + rng.choice(AREAS)))
    return "".join(lines)


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    defects = float(sys.argv[3]) if len(sys.argv) > 3 else 0.03
    sys.stdout.write(generate(size, seed=seed, defects=defects))
