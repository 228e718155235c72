"""The example knowledge graph in data/: it parses, it cites its seeds, the Tashkent cluster
holds the 30 member organizations of the article, illustrative facts are marked, and each
example keeps (or, under data/flawed/, breaks exactly one of) the principles of DESIGN.md.

The principle check here is a small independent reading of DESIGN.md "Principle shapes" in
plain Python over rdflib, so that the examples are tested on their own, apart from the SHACL
shapes that the validation tests exercise on the same files.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, XSD

from educluster.resources import example_files, flawed_example_files, ontology_files
from educluster.vocab import EC, ID, ORG

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"

EXAMPLES = example_files()
FLAWED = flawed_example_files()
ALL_FILES = EXAMPLES + FLAWED

CLUSTER_KINDS = {
    EC.Cluster, EC.EducationalCluster, EC.TeacherEducationCluster, EC.PreschoolEducationCluster,
    EC.MethodologicalCluster, EC.ProfessionalDevelopmentCluster, EC.EducationalHolding,
}
EDUCATION_LEVEL = {
    EC.PreschoolInstitution: EC.PreschoolLevel,
    EC.GeneralSecondarySchool: EC.GeneralSecondaryLevel,
    EC.AcademicLyceum: EC.SecondarySpecializedLevel,
    EC.VocationalCollege: EC.SecondarySpecializedLevel,
    EC.HigherEducationInstitution: EC.HigherLevel,
    EC.ProfessionalDevelopmentInstitute: EC.AdditionalProfessionalLevel,
}
SECTOR = {cls: EC.EducationSector for cls in EDUCATION_LEVEL} | {
    EC.ResearchInstitute: EC.ScienceSector,
    EC.Enterprise: EC.BusinessSector,
    EC.PublicAuthority: EC.GovernmentSector,
}
ORIENTATION_CLASS = {
    EC.VerticalCluster: EC.Vertical, EC.HorizontalCluster: EC.Horizontal,
    EC.MixedCluster: EC.Mixed,
}


def parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def clusters(g: Graph) -> list[URIRef]:
    return sorted({s for kind in CLUSTER_KINDS for s in g.subjects(RDF.type, kind)})


def name(path: Path) -> str:
    return path.name if path.parent.name == "data" else f"{path.parent.name}/{path.name}"


# --- an independent reading of the principles -------------------------------------------

def _regions_up(g: Graph, region: URIRef) -> set:
    """The region and every region that contains it (ec:partOfRegion is transitive)."""
    seen, todo = set(), [region]
    while todo:
        r = todo.pop()
        if r not in seen:
            seen.add(r)
            todo.extend(g.objects(r, EC.partOfRegion))
    return seen


def _default(g: Graph, node, prop, table):
    explicit = set(g.objects(node, prop))
    if explicit:
        return frozenset(explicit)
    return frozenset(table[t] for t in g.objects(node, RDF.type) if t in table)


def cooperation_orientation(g: Graph, coop) -> URIRef:
    """R1: horizontal when both partners share sector, level and (where both state one) field."""
    a, b = sorted(g.objects(coop, EC.partner))[:2]
    same = (_default(g, a, EC.sector, SECTOR) == _default(g, b, EC.sector, SECTOR)
            and _default(g, a, EC.educationLevel, EDUCATION_LEVEL)
            == _default(g, b, EC.educationLevel, EDUCATION_LEVEL))
    fa, fb = set(g.objects(a, EC.field)), set(g.objects(b, EC.field))
    if fa and fb and fa != fb:
        same = False
    return EC.Horizontal if same else EC.Vertical


def cluster_orientation(g: Graph, cluster) -> URIRef | None:
    """R2: all vertical, all horizontal, or mixed; None without cooperations."""
    kinds = {cooperation_orientation(g, c) for c in g.subjects(EC.inCluster, cluster)}
    if not kinds:
        return None
    return kinds.pop() if len(kinds) == 1 else EC.Mixed


def articulation_points(edges: set[frozenset]) -> set:
    """Members whose removal splits the connected network into parts."""
    nodes = {n for e in edges for n in e}

    def components(without) -> int:
        left, count = nodes - {without}, 0
        while left:
            count += 1
            todo = [left.pop()]
            while todo:
                n = todo.pop()
                for e in edges:
                    if n in e and without not in e:
                        (other,) = e - {n}
                        if other in left:
                            left.discard(other)
                            todo.append(other)
        return count

    return {n for n in nodes if components(n) > components(None)}


def broken_principles(g: Graph) -> set[URIRef]:
    """The principles (ec: concepts) that some cluster of the graph breaks, warnings included."""
    broken: set[URIRef] = set()
    for c in clusters(g):
        memberships = set(g.subjects(ORG.organization, c))
        members = {m for ms in memberships for m in g.objects(ms, ORG.member)}
        regions = set(g.objects(c, EC.region))
        leaders = set(g.objects(c, EC.ledBy))
        goals = set(g.objects(c, EC.commonGoal))
        coops = set(g.subjects(EC.inCluster, c))

        # Regionalization
        if len(regions) != 1 or any(
            not any(regions & _regions_up(g, r) for r in g.objects(m, EC.locatedIn))
            for m in members
        ):
            broken.add(EC.Regionalization)
        # Leadership
        if not leaders or any(
            (lead, RDF.type, EC.PublicAuthority) not in g or lead not in members
            or not any(j in _regions_up(g, r) for r in regions
                       for j in g.objects(lead, EC.jurisdiction))
            for lead in leaders
        ):
            broken.add(EC.Leadership)
        # Interdependence
        partners = {p for co in coops for p in g.objects(co, EC.partner)}
        if (not goals or len(members) < 2 or (members - leaders) - partners or any(
            len(set(g.objects(co, EC.partner))) != 2
            or not set(g.objects(co, EC.partner)) <= members
            or len(set(g.objects(co, EC.inCluster))) != 1
            for co in coops
        )):
            broken.add(EC.Interdependence)
        # Specialization
        for m in members:
            if not any((ms, ORG.member, m) in g and g.value(ms, ORG.role)
                       and g.value(ms, EC.responsibility) for ms in memberships):
                broken.add(EC.Specialization)
        # Subordination
        objectives = set(g.objects(c, EC.objective))
        if not objectives:
            broken.add(EC.Subordination)
        for o in objectives:
            deadlines = list(g.objects(o, EC.deadline))
            if (not set(g.objects(o, EC.servesGoal)) & goals
                    or not g.value(o, EC.indicator) or len(deadlines) != 1
                    or not isinstance(deadlines[0], Literal) or deadlines[0].datatype != XSD.date):
                broken.add(EC.Subordination)
        # Cluster, not system
        for ms in memberships:
            if not g.value(ms, EC.privateInterest):
                broken.add(EC.PrivateInterest)
            if not g.value(ms, EC.specificGoal):
                broken.add(EC.SpecificGoals)
        edges = {frozenset(g.objects(co, EC.partner)) for co in coops}
        edges = {e for e in edges if len(e) == 2 and e <= members}  # members only
        if len({n for e in edges for n in e}) >= 3 and articulation_points(edges):
            broken.add(EC.FailureTolerance)
        # Relation typology
        derived = cluster_orientation(g, c)
        stated = set(g.objects(c, EC.orientation)) | {
            o for cls, o in ORIENTATION_CLASS.items() if (c, RDF.type, cls) in g}
        if stated and stated != {derived}:
            broken.add(EC.RelationTypology)
        for co in coops:
            if any(o != cooperation_orientation(g, co) for o in g.objects(co, EC.orientation)):
                broken.add(EC.RelationTypology)
        if derived == EC.Mixed and not any(
            (m, RDF.type, EC.Enterprise) in g and (m, EC.finances, c) in g for m in members
        ):
            broken.add(EC.RelationTypology)
        # Coordination
        for person in g.objects(c, EC.coordinator):
            if not any((a, RDF.type, EC.HigherEducationInstitution) in g and a in members
                       for a in g.objects(person, EC.affiliation)):
                broken.add(EC.Coordination)
    # Pilot before dissemination
    for p in g.subjects(EC.status, EC.Disseminated):
        if (p, EC.pilotResult, EC.Successful) not in g:
            broken.add(EC.PilotBeforeDissemination)
    return broken


# --- the tests ------------------------------------------------------------------------------

def test_the_examples_are_there():
    assert [p.name for p in EXAMPLES] == [
        "methodological.ttl", "preschool-education.ttl", "professional-development.ttl",
        "tashkent-teacher-education.ttl", "ulyanovsk-holding.ttl",
    ]
    assert len(FLAWED) >= 12


@pytest.mark.parametrize("path", ALL_FILES, ids=name)
def test_parses_with_rdflib_and_oxigraph_alike(path: Path):
    g = parse(path)
    store = pyoxigraph.Store()
    store.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(g) > 20
    assert len(store) == len(g)


@pytest.mark.parametrize("path", ALL_FILES, ids=name)
def test_one_cluster_citing_a_seed_that_exists(path: Path):
    g = parse(path)
    (cluster,) = clusters(g)
    (source,) = g.objects(cluster, DCTERMS.source)
    assert str(source).startswith("seeds/")
    assert (SEEDS.parent / str(source)).is_file(), f"{source} is not in {SEEDS}"
    assert str(cluster).startswith(str(ID))


def test_each_seed_has_its_example():
    cited = {str(next(parse(p).objects(clusters(parse(p))[0], DCTERMS.source)))
             for p in EXAMPLES}
    assert cited == {f"seeds/{p.name}" for p in SEEDS.glob("*.txt")}


def test_tashkent_cluster_holds_the_30_member_organizations_of_the_article():
    g = parse(ROOT / "data" / "tashkent-teacher-education.ttl")
    cluster = ID["tashkent-teacher-education-cluster"]
    assert (cluster, RDF.type, EC.TeacherEducationCluster) in g
    members = {g.value(ms, ORG.member) for ms in g.subjects(ORG.organization, cluster)}
    kinds = Counter(t for m in members for t in g.objects(m, RDF.type))
    assert len(members) == 30
    assert kinds == Counter({
        EC.HigherEducationInstitution: 1, EC.PublicAuthority: 2,
        EC.GeneralSecondarySchool: 21, EC.PreschoolInstitution: 5, EC.AcademicLyceum: 1,
    })
    labels = {str(g.value(m, RDFS.label)) for m in members}
    assert {"Chirchik State Pedagogical Institute",
            "Tashkent regional department of public education",
            "Chirchik city department of public education"} <= labels
    assert (ID["chirchik-city"], EC.partOfRegion, ID["tashkent-region"]) in g
    assert (ID["school-of-young-teachers"], EC.runBy, cluster) in g
    # the article's four interaction models and four areas of cooperation: the cluster's,
    # and each used by some cooperation
    models = {EC.InformationalCognitive, EC.ProblemAnalytical, EC.SocialRole, EC.GameActivity}
    areas = {EC.EducationalMethodological, EC.ScientificMethodological, EC.StaffDevelopment,
             EC.CareerGuidance}
    assert set(g.objects(cluster, EC.interactionModel)) == models
    assert set(g.objects(cluster, EC.area)) == areas
    coops = set(g.subjects(EC.inCluster, cluster))
    assert {o for c in coops for o in g.objects(c, EC.interactionModel)} == models
    assert {o for c in coops for o in g.objects(c, EC.area)} == areas


def test_preschool_cluster_has_projects_at_every_stage_in_the_three_directions():
    g = parse(ROOT / "data" / "preschool-education.ttl")
    cluster = ID["preschool-education-cluster"]
    projects = set(g.subjects(EC.runBy, cluster))
    assert {g.value(p, EC.status) for p in projects} == {
        EC.Proposed, EC.PilotTesting, EC.Disseminated}
    assert {g.value(p, EC.direction) for p in projects} == {
        EC.QualityOfEducation, EC.StudentWithAbility, EC.InnovatorEducator}
    lab = ID["educational-scientific-complex-laboratory"]
    assert lab in {g.value(ms, ORG.member) for ms in g.subjects(ORG.organization, cluster)}
    assert (lab, RDF.type, EC.EducationalScientificComplexLaboratory) in g
    assert set(g.objects(lab, EC.direction)) == {
        EC.InnovativeExperimentalDirection, EC.ScientificMethodicalDirection,
        EC.ScientificResearchDirection, EC.InformationAnalyticalDirection}
    # only a successful pilot is disseminated
    (disseminated,) = g.subjects(EC.status, EC.Disseminated)
    assert (disseminated, EC.pilotResult, EC.Successful) in g


def test_methodological_cluster_has_its_four_stages():
    g = parse(ROOT / "data" / "methodological.ttl")
    cluster = ID["methodological-cluster"]
    stages = set(g.objects(cluster, EC.stage))
    assert stages == {EC.Motivational, EC.Constructive, EC.Correctional, EC.Reflexive}
    assert set(g.objects(cluster, EC.developsCompetency)) == {
        EC.Sociability, EC.Tolerance, EC.SelfAnalysis, EC.SelfExpression, EC.GoalSetting}


def test_methodological_stages_come_in_the_order_of_the_source():
    """The data names the stages; the concept scheme's ec:stageOrder puts them in order."""
    if not ontology_files():
        pytest.skip("no ontology files to take ec:stageOrder from")
    store = pyoxigraph.Store()
    for path in [*ontology_files(), ROOT / "data" / "methodological.ttl"]:
        store.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    rows = store.query(f"""
        SELECT ?stage WHERE {{
          <{ID["methodological-cluster"]}> <{EC.stage}> ?stage .
          ?stage <{EC.stageOrder}> ?order .
        }} ORDER BY ?order""")
    assert [row["stage"].value for row in rows] == [
        str(EC.Motivational), str(EC.Constructive), str(EC.Correctional), str(EC.Reflexive)]


@pytest.mark.parametrize(("path", "expected"), [
    ("tashkent-teacher-education.ttl", EC.Vertical),
    ("preschool-education.ttl", EC.Vertical),
    ("methodological.ttl", EC.Vertical),
    ("ulyanovsk-holding.ttl", EC.Horizontal),
    ("professional-development.ttl", EC.Mixed),
])
def test_orientation_that_rule_r2_derives(path: str, expected: URIRef):
    g = parse(ROOT / "data" / path)
    (cluster,) = clusters(g)
    assert cluster_orientation(g, cluster) == expected
    # orientation is derived, never stated in the examples
    assert (cluster, EC.orientation, None) not in g


def test_examples_load_together_without_clashes():
    """A resource described in several files (a region, a role) is described alike in each."""
    described: dict = {}
    for path in EXAMPLES:
        g = parse(path)
        for s in set(g.subjects()):
            triples = frozenset(g.predicate_objects(s))
            assert described.setdefault(s, triples) == triples, f"{s} differs in {path.name}"
    store = pyoxigraph.Store()
    for path in EXAMPLES:
        store.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    clusters_found = list(store.query(
        "SELECT DISTINCT ?c WHERE { ?m <http://www.w3.org/ns/org#organization> ?c }"))
    assert len(clusters_found) == len(EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=name)
def test_conforming_example_keeps_every_principle(path: Path):
    assert broken_principles(parse(path)) == set()


@pytest.mark.parametrize("path", ALL_FILES, ids=name)
def test_illustrative_facts_are_marked(path: Path):
    g = parse(path)
    marked = set(g.subjects(EC.illustrative, Literal(True)))
    for node in marked:
        comments = [str(c) for c in g.objects(node, RDFS.comment)]
        assert any(c.startswith("Illustrative: ") for c in comments), node
    # No seed gives a deadline, names a coordinator, or says which two members cooperate.
    for kind_of_invented in (
        set(g.subjects(EC.deadline, None)),
        set(g.subjects(RDF.type, FOAF.Person)),
        set(g.subjects(RDF.type, EC.Cooperation)),
    ):
        assert kind_of_invented <= marked
    # Names with a number ("school No. 7") are never the source's.
    numbered = {s for s, o in g.subject_objects(RDFS.label) if " No. " in str(o)
                and (s, RDF.type, EC.Cooperation) not in g}
    assert numbered <= marked
    # The literal marker is exactly true, never a string or "false".
    assert {o for o in g.objects(None, EC.illustrative)} <= {Literal(True)}


@pytest.mark.parametrize("path", FLAWED, ids=name)
def test_flawed_example_names_and_breaks_exactly_its_principle(path: Path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), "a flawed example starts with a comment block"
    g = parse(path)
    (cluster,) = clusters(g)
    (principle,) = g.objects(cluster, EC.breaksPrinciple)
    assert principle.split("#")[1] in text.split("@prefix")[0], "the comment names it"
    assert any(str(c).startswith("Breaks ") for c in g.objects(cluster, RDFS.comment))
    assert broken_principles(g) == {principle}


def test_flawed_examples_cover_every_principle_shape():
    covered = Counter(
        next(parse(p).objects(clusters(parse(p))[0], EC.breaksPrinciple)) for p in FLAWED)
    assert set(covered) == {
        EC.Regionalization, EC.Leadership, EC.Interdependence, EC.Specialization,
        EC.Subordination, EC.PrivateInterest, EC.SpecificGoals, EC.FailureTolerance,
        EC.RelationTypology, EC.Coordination, EC.PilotBeforeDissemination,
    }
    # a stated orientation that contradicts the derived one, and a mixed cluster without a
    # financing enterprise
    assert covered[EC.RelationTypology] >= 2


def test_the_checker_sees_a_defect_it_is_shown():
    """The principle check itself can fail: remove a Tashkent school's last cooperation."""
    g = parse(ROOT / "data" / "tashkent-teacher-education.ttl")
    school = ID["tashkent-school-07"]
    for coop in list(g.subjects(EC.partner, school)):
        g.remove((coop, None, None))
    assert EC.Interdependence in broken_principles(g)


def test_the_tashkent_network_needs_its_cross_links_to_survive_the_institute():
    """Without the lyceum's and the city department's links, the institute is a single point
    of failure: the groups of schools around each preschool meet only at the institute."""
    g = parse(ROOT / "data" / "tashkent-teacher-education.ttl")
    cluster = ID["tashkent-teacher-education-cluster"]
    edges = {frozenset(g.objects(c, EC.partner)) for c in g.subjects(EC.inCluster, cluster)}
    assert articulation_points(edges) == set()
    cross = {ID["chirchik-academic-lyceum"], ID["chirchik-city-department-of-public-education"]}
    without_cross_links = {e for e in edges if not e & cross}
    assert articulation_points(without_cross_links) == {
        ID["chirchik-state-pedagogical-institute"]}
