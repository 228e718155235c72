"""The ontology: it parses, it declares the vocabulary contract, every term is documented and
traceable to a seed, the axioms other parts rely on are there, and HermiT finds it (alone and
with every example) consistent.  Also the OWL check of a definition (``educluster.owl``)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from educluster.errors import EduclusterError
from educluster.resources import (
    example_files,
    flawed_example_files,
    ontology_files,
    resource_dir,
)
from educluster.vocab import EC, EC_IRI, ORG, SCHEMA

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
ONTOLOGY_IRI = URIRef("https://w3id.org/educluster")
FOAF_PERSON = URIRef("http://xmlns.com/foaf/0.1/Person")
SERVICE_TERM = "Service term"



def words(text: str) -> list[str]:
    return text.split()


# DESIGN.md, "Vocabulary contract" and "Principle shapes".
CONTRACT_CLASSES = words("""
    Cluster EducationalCluster TeacherEducationCluster PreschoolEducationCluster
    MethodologicalCluster ProfessionalDevelopmentCluster EducationalHolding
    VerticalCluster HorizontalCluster MixedCluster
    HigherEducationInstitution GeneralSecondarySchool PreschoolInstitution AcademicLyceum
    VocationalCollege ProfessionalDevelopmentInstitute ResearchInstitute Enterprise
    PublicAuthority Region Cooperation Goal Objective Project
""")
CONTRACT_PROPERTIES = words("""
    region ledBy commonGoal objective coordinator orientation hasMember memberOf
    responsibility privateInterest specificGoal locatedIn educationLevel sector field
    jurisdiction finances partOfRegion partner inCluster area interactionModel servesGoal
    indicator deadline affiliation runBy status pilotResult principle
""")
CONTRACT_CONCEPTS = words("""
    Vertical Horizontal Mixed
    PreschoolLevel GeneralSecondaryLevel SecondarySpecializedLevel HigherLevel
    AdditionalProfessionalLevel
    EducationSector ScienceSector BusinessSector GovernmentSector
    Regionalization Leadership Interdependence Specialization Subordination
    EducationalMethodological ScientificMethodological StaffDevelopment CareerGuidance
    InformationalCognitive ProblemAnalytical SocialRole GameActivity
    Motivational Constructive Correctional Reflexive
    Proposed PilotTesting Disseminated Successful Unsuccessful
    EqualComponents FailureTolerance PurposefulConnection PrivateInterest SpecificGoals
    UnityOfEntities RelationTypology Coordination PilotBeforeDissemination OntologyConsistency
""")
PRINCIPLES = words("""
    Regionalization Leadership Interdependence Specialization Subordination
    EqualComponents FailureTolerance PurposefulConnection PrivateInterest SpecificGoals
    UnityOfEntities RelationTypology Coordination PilotBeforeDissemination OntologyConsistency
""")
# What the seeds need beyond the contract (DOMAIN.md), one representative term each.
SEED_SCHEMES = {
    "ClusteringLevelScheme": ["EducationalCompetenceLevel", "SocialInstitutionsAssociationLevel"],
    "InnovationLifeCycleScheme": ["InnovationCreation", "InnovationTesting", "InnovationPromotion"],
    "LaboratoryDirectionScheme": ["InnovativeExperimentalDirection",
                                  "InformationAnalyticalDirection"],
    "ProjectDirectionScheme": ["QualityOfEducation", "StudentWithAbility", "InnovatorEducator"],
    "LearningOutcomePrincipleScheme": ["Individualization", "OrganizationalFlexibility"],
    "EfficiencyRequirementScheme": ["ParticipantResponsibility", "ComprehensiveWork"],
    "ConcentrationScheme": ["IntraNetwork", "InterBranch"],
    "InteractionModelScheme": ["InformationalCognitive", "GameActivity"],
    "CooperationAreaScheme": ["EducationalMethodological", "CareerGuidance"],
    "MethodologicalStageScheme": ["Motivational", "Reflexive"],
    "PrincipleScheme": PRINCIPLES,
}
SECTOR_DEFAULTS = {
    "EducationalInstitution": "EducationSector",
    "ResearchInstitute": "ScienceSector",
    "Enterprise": "BusinessSector",
    "PublicAuthority": "GovernmentSector",
}
LEVEL_DEFAULTS = {
    "PreschoolInstitution": "PreschoolLevel",
    "GeneralSecondarySchool": "GeneralSecondaryLevel",
    "AcademicLyceum": "SecondarySpecializedLevel",
    "VocationalCollege": "SecondarySpecializedLevel",
    "HigherEducationInstitution": "HigherLevel",
    "ProfessionalDevelopmentInstitute": "AdditionalProfessionalLevel",
}
EDUCATION_KINDS = [
    "HigherEducationInstitution", "GeneralSecondarySchool", "PreschoolInstitution",
    "AcademicLyceum", "VocationalCollege", "ProfessionalDevelopmentInstitute",
]

# Placeholders that docstrings use to show the form of a term ("ec:Name", "...#Term").
PLACEHOLDERS = {"Name", "Term", "X", "Foo"}
EC_TERM = re.compile(r"(?<![\w:/#-])(?:ec:|https://w3id\.org/educluster#)([A-Za-z_][A-Za-z0-9_-]*)")


@pytest.fixture(scope="module")
def onto() -> Graph:
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return graph


def ec_terms(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(EC_IRI)}


def superclasses(graph: Graph, cls: URIRef) -> set[URIRef]:
    return set(graph.transitive_objects(cls, RDFS.subClassOf)) - {cls}


def disjoint(graph: Graph, a: URIRef, b: URIRef) -> bool:
    """Whether the ontology states (directly, or for superclasses) that a and b are disjoint."""
    left = {a} | superclasses(graph, a)
    right = {b} | superclasses(graph, b)
    for x, y in graph.subject_objects(OWL.disjointWith):
        if (x in left and y in right) or (y in left and x in right):
            return True
    for group in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(graph.items(graph.value(group, OWL.members)))
        for i, x in enumerate(members):
            for y in members[i + 1:]:
                if (x in left and y in right) or (y in left and x in right):
                    return True
    return False


# ---------------------------------------------------------------------------------------
# Parsing and the header
# ---------------------------------------------------------------------------------------

def test_the_ontology_is_split_into_turtle_files_that_parse():
    names = {path.name for path in ontology_files()}
    assert {"educluster.ttl", "concepts.ttl", "alignments.ttl"} <= names
    for path in ontology_files():
        graph = Graph().parse(path, format="turtle")
        assert len(graph) > 50, path
        # the Rust parser agrees (the store loads these files)
        quads = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
        assert len(quads) == len(graph), path


def test_the_header_has_version_title_description_license_and_date(onto):
    assert set(onto.subjects(RDF.type, OWL.Ontology)) == {ONTOLOGY_IRI}
    assert onto.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef("https://w3id.org/educluster/0.1.0")
    assert str(onto.value(ONTOLOGY_IRI, OWL.versionInfo)) == "0.1.0"
    assert onto.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    for prop in (DCTERMS.title, DCTERMS.description):
        assert any(x.language == "en" for x in onto.objects(ONTOLOGY_IRI, prop)), prop
    created = onto.value(ONTOLOGY_IRI, DCTERMS.created)
    assert isinstance(created, Literal) and created.datatype == XSD.date and not created.ill_typed


# ---------------------------------------------------------------------------------------
# The vocabulary contract
# ---------------------------------------------------------------------------------------

def test_every_contract_class_is_an_owl_class(onto):
    missing = [n for n in CONTRACT_CLASSES if (EC[n], RDF.type, OWL.Class) not in onto]
    assert not missing


def test_every_contract_property_is_declared(onto):
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    missing = [n for n in CONTRACT_PROPERTIES
               if not any((EC[n], RDF.type, kind) in onto for kind in kinds)]
    assert not missing


def test_every_contract_concept_is_a_concept_in_a_scheme(onto):
    for name in CONTRACT_CONCEPTS:
        concept = EC[name]
        assert (concept, RDF.type, SKOS.Concept) in onto, name
        scheme = onto.value(concept, SKOS.inScheme)
        assert (scheme, RDF.type, SKOS.ConceptScheme) in onto, name


def test_the_principles_are_one_scheme_and_the_range_of_ec_principle(onto):
    for name in PRINCIPLES:
        assert (EC[name], SKOS.inScheme, EC.PrincipleScheme) in onto, name
        assert (EC[name], RDF.type, EC.Principle) in onto, name
    assert onto.value(EC.principle, RDFS.range) == EC.Principle
    creation = set(onto.objects(EC.CreationPrinciples, SKOS.member))
    assert creation == {EC[n] for n in PRINCIPLES[:5]}


def test_the_seeds_schemes_beyond_the_contract_are_there(onto):
    for scheme, concepts in SEED_SCHEMES.items():
        assert (EC[scheme], RDF.type, SKOS.ConceptScheme) in onto, scheme
        for name in concepts:
            assert (EC[name], SKOS.inScheme, EC[scheme]) in onto, name


def test_ordered_schemes_give_the_order_of_their_concepts(onto):
    def order(name):
        value = onto.value(EC[name], EC.stageOrder)
        assert value is not None, name
        return value.toPython()

    assert [order(n) for n in ("Motivational", "Constructive", "Correctional", "Reflexive")] \
        == [1, 2, 3, 4]
    assert [order(n) for n in ("InnovationCreation", "InnovationTesting",
                               "InnovationPromotion")] == [1, 2, 3]
    assert [order(n) for n in ("Proposed", "PilotTesting", "Disseminated")] == [1, 2, 3]
    assert order("EducationalCompetenceLevel") < order("EducationalProgramLevel") \
        < order("EducationalOrganizationLevel") < order("SocialInstitutionsAssociationLevel")


# ---------------------------------------------------------------------------------------
# Documentation of every term
# ---------------------------------------------------------------------------------------

TERM_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
              SKOS.Concept, SKOS.ConceptScheme, SKOS.Collection)


def test_every_ec_term_is_of_a_known_kind(onto):
    untyped = [t for t in ec_terms(onto)
               if not any((t, RDF.type, kind) in onto for kind in TERM_KINDS)]
    assert not untyped


def test_every_term_has_an_english_label_and_definition(onto):
    problems = []
    for term in sorted(ec_terms(onto)):
        labels = [x for p in (RDFS.label, SKOS.prefLabel) for x in onto.objects(term, p)]
        if not any(isinstance(x, Literal) and x.language == "en" and str(x).strip()
                   for x in labels):
            problems.append(f"{term}: no English label")
        definitions = list(onto.objects(term, SKOS.definition))
        if not any(isinstance(x, Literal) and x.language == "en" and len(str(x)) > 20
                   for x in definitions):
            problems.append(f"{term}: no English definition")
        if len(list(onto.objects(term, SKOS.prefLabel))) > len(
                {x.language for x in onto.objects(term, SKOS.prefLabel)}):
            problems.append(f"{term}: two skos:prefLabel in one language")
    assert not problems


def test_every_term_names_the_seed_it_comes_from(onto):
    seed_names = {p.name for p in SEEDS.glob("*.txt")} if SEEDS.is_dir() else None
    problems = []
    for term in sorted(ec_terms(onto)):
        sources = [str(x) for x in onto.objects(term, DCTERMS.source)]
        notes = [str(x) for x in onto.objects(term, SKOS.editorialNote)]
        if not sources:
            if not any(n.startswith(SERVICE_TERM) for n in notes):
                problems.append(f"{term}: no dcterms:source")
            continue
        for source in sources:
            match = re.fullmatch(r"seeds/(\d{3}_[0-9a-f]{16}\.txt)", source)
            if not match or (seed_names is not None and match.group(1) not in seed_names):
                problems.append(f"{term}: dcterms:source {source!r} is not a seed file")
    assert not problems


def test_uzbek_and_russian_labels_where_the_sources_give_them(onto):
    def labels(term, lang):
        return {str(x) for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel)
                for x in onto.objects(term, p) if isinstance(x, Literal) and x.language == lang}

    assert "MTT" in labels(EC.PreschoolInstitution, "uz")  # seed 002's own abbreviation
    assert labels(EC.PreschoolInstitution, "ru")
    assert labels(EC.Cluster, "uz") and labels(EC.Cluster, "ru")
    assert labels(EC.Regionalization, "ru")


def test_every_concept_belongs_to_a_scheme_that_lists_it(onto):
    problems = []
    concepts = {c for c in onto.subjects(RDF.type, SKOS.Concept) if isinstance(c, URIRef)}
    for concept in concepts:
        schemes = set(onto.objects(concept, SKOS.inScheme))
        if not schemes:
            problems.append(f"{concept}: in no scheme")
        for scheme in schemes:
            if (scheme, RDF.type, SKOS.ConceptScheme) not in onto:
                problems.append(f"{concept}: scheme {scheme} is not a skos:ConceptScheme")
        for scheme in onto.objects(concept, SKOS.topConceptOf):
            if (scheme, SKOS.hasTopConcept, concept) not in onto:
                problems.append(f"{concept}: not listed as a top concept of {scheme}")
        if not any(x.language == "en" for x in onto.objects(concept, SKOS.prefLabel)):
            problems.append(f"{concept}: no skos:prefLabel in English")
    assert concepts and not problems
    for scheme in onto.subjects(RDF.type, SKOS.ConceptScheme):
        for top in onto.objects(scheme, SKOS.hasTopConcept):
            assert (top, SKOS.inScheme, scheme) in onto, (scheme, top)


def test_concepts_of_a_scheme_are_declared_different(onto):
    different = [set(onto.items(onto.value(g, OWL.distinctMembers)))
                 for g in onto.subjects(RDF.type, OWL.AllDifferent)]
    for scheme in onto.subjects(RDF.type, SKOS.ConceptScheme):
        members = set(onto.subjects(SKOS.inScheme, scheme))
        assert any(members <= group for group in different), scheme


# ---------------------------------------------------------------------------------------
# Every ec: term used anywhere in the project is declared
# ---------------------------------------------------------------------------------------

def _used_terms() -> dict[str, set[str]]:
    package = Path(__import__("educluster").__file__).resolve().parent
    roots = [resource_dir("shapes"), resource_dir("queries"), resource_dir("data"), package]
    suffixes = {".ttl", ".rq", ".py", ".jsonld", ".json", ".yaml", ".yml", ".csv", ".html",
                ".trig", ".nt", ".nq", ".js", ".txt"}
    used: dict[str, set[str]] = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts:
                for match in EC_TERM.finditer(path.read_text(encoding="utf-8", errors="replace")):
                    used.setdefault(match.group(1), set()).add(f"{root.name}/{path.name}")
    return used


def test_every_ec_term_used_in_shapes_queries_data_and_code_is_declared(onto):
    used = _used_terms()
    assert len(used) > 50  # the scan found the project's files
    declared = {str(t)[len(EC_IRI):] for t in ec_terms(onto)}
    missing = {name: sorted(files)[:3] for name, files in used.items()
               if name not in declared and name not in PLACEHOLDERS}
    assert not missing, f"used but not declared in ontology/: {missing}"


# ---------------------------------------------------------------------------------------
# The axioms other parts rely on
# ---------------------------------------------------------------------------------------

def test_type_defaults_are_has_value_restrictions_in_the_fixed_pattern(onto):
    query = """
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?cls ?value WHERE {
            ?cls rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ?p ; owl:hasValue ?value ] .
        }"""
    for prop, expected in (("sector", SECTOR_DEFAULTS), ("educationLevel", LEVEL_DEFAULTS)):
        found = {str(row.cls)[len(EC_IRI):]: str(row.value)[len(EC_IRI):]
                 for row in onto.query(query, initBindings={"p": EC[prop]})}
        assert found == expected, prop
    # every education kind inherits the education sector
    for kind in EDUCATION_KINDS:
        assert EC.EducationalInstitution in superclasses(onto, EC[kind]), kind


def test_sector_and_level_are_not_functional_so_an_explicit_value_can_win(onto):
    for prop in (EC.sector, EC.educationLevel):
        assert (prop, RDF.type, OWL.FunctionalProperty) not in onto
        assert (prop, RDF.type, OWL.ObjectProperty) in onto


def test_property_characteristics(onto):
    assert (EC.partOfRegion, RDF.type, OWL.TransitiveProperty) in onto
    for prop in (EC.region, EC.inCluster, EC.deadline):
        assert (prop, RDF.type, OWL.FunctionalProperty) in onto, prop
    assert (EC.deadline, RDF.type, OWL.DatatypeProperty) in onto
    assert onto.value(EC.deadline, RDFS.range) == XSD.date
    assert (EC.hasMember, RDFS.subPropertyOf, ORG.hasMember) in onto
    assert (EC.memberOf, RDFS.subPropertyOf, ORG.memberOf) in onto
    assert (EC.hasMember, OWL.inverseOf, EC.memberOf) in onto
    assert onto.value(EC.region, RDFS.range) == EC.Region
    assert onto.value(EC.coordinator, RDFS.range) == FOAF_PERSON
    assert onto.value(EC.affiliation, RDFS.domain) == FOAF_PERSON
    assert onto.value(EC.affiliation, RDFS.range) == ORG.Organization
    assert onto.value(EC.partner, RDFS.domain) == EC.Cooperation
    # the orientation values are exactly the orientation concepts
    assert onto.value(EC.orientation, RDFS.range) == EC.Orientation
    assert set(onto.subjects(RDF.type, EC.Orientation)) == {EC.Vertical, EC.Horizontal, EC.Mixed}


def test_clusters_and_participants_are_org_organizations(onto):
    assert (EC.Cluster, RDFS.subClassOf, ORG.OrganizationalCollaboration) in onto
    assert (ORG.OrganizationalCollaboration, RDFS.subClassOf, ORG.Organization) in onto
    for kind in ("TeacherEducationCluster", "PreschoolEducationCluster", "MethodologicalCluster",
                 "ProfessionalDevelopmentCluster", "EducationalHolding"):
        assert EC.EducationalCluster in superclasses(onto, EC[kind]), kind
    for kind in ("VerticalCluster", "HorizontalCluster", "MixedCluster", "EducationalCluster"):
        assert EC.Cluster in superclasses(onto, EC[kind]), kind
    for kind in [*EDUCATION_KINDS, "ResearchInstitute", "Enterprise", "PublicAuthority",
                 "EducationalScientificComplexLaboratory", "LaboratorySchool"]:
        assert ORG.Organization in superclasses(onto, EC[kind]), kind


def test_disjointness_where_it_is_true_and_only_there(onto):
    for i, a in enumerate(EDUCATION_KINDS):
        for b in EDUCATION_KINDS[i + 1:]:
            assert disjoint(onto, EC[a], EC[b]), (a, b)
    for a, b in (("Enterprise", "PublicAuthority"), ("GeneralSecondarySchool", "Enterprise"),
                 ("HigherEducationInstitution", "PublicAuthority"),
                 ("ResearchInstitute", "PublicAuthority"), ("ResearchInstitute", "Enterprise"),
                 ("VerticalCluster", "HorizontalCluster"), ("HorizontalCluster", "MixedCluster"),
                 ("VerticalCluster", "MixedCluster"), ("Cluster", "Enterprise")):
        assert disjoint(onto, EC[a], EC[b]), (a, b)
    # a research university is both; a cluster is an organization (ORG)
    assert not disjoint(onto, EC.ResearchInstitute, EC.HigherEducationInstitution)
    assert not disjoint(onto, EC.Cluster, ORG.Organization)
    assert not disjoint(onto, EC.Cluster, ORG.OrganizationalCollaboration)
    assert not disjoint(onto, EC.LaboratorySchool, EC.GeneralSecondarySchool)


def test_schema_org_is_a_mapping_never_a_superclass(onto):
    for prop in (RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf,
                 OWL.equivalentProperty):
        for _, target in onto.subject_objects(prop):
            assert not str(target).startswith(str(SCHEMA)), (prop, target)
    mappings = (SKOS.closeMatch, SKOS.exactMatch, SKOS.broadMatch)
    assert any((EC.EducationalInstitution, m, SCHEMA.EducationalOrganization) in onto
               for m in mappings)
    for mapping in mappings:
        assert (mapping, RDF.type, OWL.AnnotationProperty) in onto


def test_owlready2_reads_the_ontology_converted_to_ntriples(onto):
    owlready2 = pytest.importorskip("owlready2")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ontology.nt"
        onto.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        world.get_ontology(path.as_uri()).load(format="ntriples")
        cluster = world[str(EC.Cluster)]
        assert isinstance(cluster, owlready2.ThingClass)
        collaboration = world[str(ORG.OrganizationalCollaboration)]
        assert collaboration in cluster.is_a
        region = world[str(EC.region)]
        assert owlready2.FunctionalProperty in region.is_a
        assert world[str(EC.partOfRegion)] is not None
        assert owlready2.TransitiveProperty in world[str(EC.partOfRegion)].is_a
        assert world[str(EC.memberOf)].inverse_property is world[str(EC.hasMember)]
        world.close()


def test_a_missing_java_is_a_clear_error(monkeypatch):
    owlready2 = pytest.importorskip("owlready2")
    from educluster.owl import check_consistency

    monkeypatch.setattr(owlready2, "JAVA_EXE", "/nonexistent/bin/java")
    with pytest.raises(EduclusterError, match="Java"):
        check_consistency()


# ---------------------------------------------------------------------------------------
# HermiT
# ---------------------------------------------------------------------------------------

PREFIXES = """
@prefix ec: <https://w3id.org/educluster#> .
@prefix id: <https://w3id.org/educluster/id/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def turtle(text: str) -> Graph:
    return Graph().parse(data=PREFIXES + text, format="turtle")


@pytest.mark.java
def test_hermit_finds_the_ontology_consistent_with_no_unsatisfiable_class():
    from educluster.owl import check_consistency

    assert check_consistency() == []


@pytest.mark.java
def test_hermit_finds_every_example_consistent_with_the_ontology():
    from educluster.owl import check_consistency

    files = example_files()
    assert files, "no example data in data/*.ttl"
    data = Graph()
    for path in files:  # together: the files share regions and other resources
        data.parse(path, format="turtle")
    problems = check_consistency(data, justify=False)
    assert problems == [], "\n".join(f"{p.focus_node}: {p.message}" for p in problems)


@pytest.mark.java
def test_hermit_finds_the_flawed_examples_consistent_too():
    """They break SHACL principles, each in one place, never the ontology's axioms."""
    from educluster.owl import check_consistency

    data = Graph()
    for path in flawed_example_files():
        data.parse(path, format="turtle")
    if not len(data):
        pytest.skip("no flawed examples")
    problems = check_consistency(data, justify=False)
    assert problems == [], "\n".join(f"{p.focus_node}: {p.message}" for p in problems)


# (data, focus node, words the message must contain, words the explanation must contain)
FAULTS = {
    "two disjoint kinds": (
        'id:s a ec:GeneralSecondarySchool , ec:HigherEducationInstitution ; '
        'rdfs:label "School No. 1"@en .',
        "id:s", ["School No. 1", "general secondary school", "higher education institution"],
        ["disjoint", "HermiT"]),
    "a kind entailed by a property's domain": (
        "id:u a ec:HigherEducationInstitution ; ec:jurisdiction id:r .",
        "id:u", ["public authority"], ["ec:jurisdiction", "domain", "disjoint"]),
    "a person as a member": (
        "id:c a ec:Cluster ; ec:hasMember id:p . id:p a foaf:Person .",
        "id:p", ["Person", "Organization"], ["range of ec:hasMember"]),
    "two regions of a cluster": (
        "id:c a ec:Cluster ; ec:region id:r1 , id:r2 .",
        "id:c", ["ec:region", "only one"], ["FunctionalProperty"]),
    "two statuses of a project": (
        "id:p a ec:Project ; ec:status ec:Proposed , ec:Disseminated .",
        "id:p", ["ec:status", "proposed", "disseminated"], ["FunctionalProperty"]),
    "a vertical cluster stated horizontal": (
        "id:c a ec:VerticalCluster ; ec:orientation ec:Horizontal .",
        "id:c", ["ec:orientation"], ["vertically oriented cluster", "ec:Vertical"]),
    "a cooperation in two clusters": (
        "id:k a ec:Cooperation ; ec:inCluster id:c1 , id:c2 .",
        "id:k", ["ec:inCluster"], ["FunctionalProperty"]),
    "two deadlines": (
        'id:o a ec:Objective ; ec:deadline "2026-06-30"^^xsd:date , "2026-09-01"^^xsd:date .',
        "id:o", ["ec:deadline", "only one"], ["FunctionalProperty"]),
    "a deadline that is no date": (
        'id:o a ec:Objective ; ec:deadline "next spring"^^xsd:date .',
        "id:o", ["next spring", "xsd:date"], ["range"]),
    "text for a resource": (
        'id:c a ec:Cluster ; ec:region "Tashkent region" .',
        "id:c", ["Tashkent region", "ec:region"], ["ObjectProperty"]),
    "a misspelt term": (
        "id:c a ec:Cluster ; ec:regoin id:r .",
        "id:c", ["ec:regoin", "not a term"], []),
}


@pytest.mark.java
@pytest.mark.parametrize("case", sorted(FAULTS))
def test_a_contradiction_is_reported_on_the_resource_at_fault(case):
    from educluster.owl import check_consistency

    text, focus, message_words, explanation_words = FAULTS[case]
    problems = check_consistency(turtle(text), justify=False)
    assert problems, case
    focus_iri = "https://w3id.org/educluster/id/" + focus.removeprefix("id:")
    mine = [p for p in problems if p.focus_node == focus_iri]
    assert mine, problems
    problem = mine[0]
    for word in message_words:
        assert word in problem.message, (word, problem.message)
    for word in explanation_words:
        assert word in (problem.explanation or ""), (word, problem.explanation)


@pytest.mark.java
def test_an_unsatisfiable_class_is_reported_with_its_clash():
    from educluster.owl import check_consistency

    problems = check_consistency(turtle(
        "id:PublicEnterprise rdfs:subClassOf ec:Enterprise , ec:PublicAuthority ."))
    assert [p.focus_node for p in problems] == ["https://w3id.org/educluster/id/PublicEnterprise"]
    assert "owl:Nothing" in problems[0].explanation
    assert "ec:Enterprise" in problems[0].explanation
    assert "ec:PublicAuthority" in problems[0].explanation


@pytest.mark.java
def test_hermits_verdict_stands_when_the_cause_cannot_be_named():
    from educluster.owl import check_consistency

    data = turtle("id:a a ec:Region ; owl:sameAs id:b . id:a owl:differentFrom id:b .")
    problems = check_consistency(data, justify=False)
    assert len(problems) == 1
    assert problems[0].focus_node is None
    assert "HermiT" in problems[0].explanation
    # HermiT's own justification names the axioms and so the resources
    problems = check_consistency(data)
    assert len(problems) == 1
    if "justification" not in problems[0].explanation:
        pytest.skip("no JDK: Java's source launcher cannot run the justification")
    assert problems[0].focus_node in ("https://w3id.org/educluster/id/a",
                                      "https://w3id.org/educluster/id/b")
    assert "SameIndividual(id:a id:b" in problems[0].explanation
    assert "DifferentIndividuals(id:a id:b" in problems[0].explanation


@pytest.mark.java
def test_hermits_justification_names_the_axioms_of_the_definition_and_of_the_ontology():
    from educluster.owl import check_consistency

    problems = check_consistency(turtle(
        "id:u a ec:HigherEducationInstitution ; ec:jurisdiction id:r ."))
    assert [p.focus_node for p in problems] == ["https://w3id.org/educluster/id/u"]
    explanation = problems[0].explanation
    if "justification" not in explanation:
        pytest.skip("no JDK: Java's source launcher cannot run the justification")
    definition, _, ontology = explanation.partition("From the ontology")
    assert "ClassAssertion(ec:HigherEducationInstitution id:u)" in definition
    assert "ObjectPropertyAssertion(ec:jurisdiction id:u id:r)" in definition
    assert "ObjectPropertyDomain(ec:jurisdiction ec:PublicAuthority)" in ontology
    assert "SubClassOf(ec:HigherEducationInstitution ec:EducationalInstitution)" in ontology
    assert "DisjointClasses(ec:EducationalInstitution" in ontology


def test_the_justifier_ships_inside_the_package():
    import educluster.owl

    source = Path(educluster.owl._JUSTIFIER)
    assert source.is_file() and source.suffix == ".java"
    assert "quickXplain" in source.read_text(encoding="utf-8")


@pytest.mark.java
def test_without_unique_names_two_region_names_may_be_one_region():
    from educluster.owl import check_consistency

    data = turtle("id:c a ec:Cluster ; ec:region id:r1 , id:r2 .")
    assert check_consistency(data, unique_names=False) == []
    assert check_consistency(data) != []


@pytest.mark.java
def test_each_check_is_isolated_and_keeps_stdout_clean(capfd):
    owlready2 = pytest.importorskip("owlready2")
    from educluster.owl import check_consistency

    bad = turtle("id:x a ec:Enterprise , ec:PublicAuthority .")
    good = turtle("id:x a ec:Enterprise .")
    assert check_consistency(bad, justify=False)
    assert check_consistency(good) == []
    assert check_consistency(bad, justify=False)
    out, _ = capfd.readouterr()
    assert out == ""
    # nothing leaked into owlready2's default world
    assert owlready2.default_world[str(EC.Enterprise)] is None


def test_the_check_does_not_change_the_data_it_is_given():
    data = turtle('id:c a ec:Cluster ; ec:region "Tashkent" .')
    before = set(data)
    from educluster.owl import _Model, ontology_graph

    model = _Model(ontology_graph(), data)
    assert model.structural_problems()
    reasoner_input = model.reasoner_graph(unique_names=True)
    assert set(data) == before
    # the defective triple is kept from the reasoner, the rest reaches it
    assert (URIRef("https://w3id.org/educluster/id/c"), EC.region, Literal("Tashkent")) \
        not in reasoner_input
    assert (URIRef("https://w3id.org/educluster/id/c"), RDF.type, EC.Cluster) in reasoner_input


@pytest.mark.java
def test_the_check_runs_from_any_working_directory():
    """HermiT's command line needs a usable working directory; "/" is not one."""
    import subprocess
    import sys

    script = (
        "from rdflib import Graph\n"
        "from educluster.owl import check_consistency\n"
        "g = Graph().parse(data='<https://w3id.org/educluster/id/x> a "
        "<https://w3id.org/educluster#Enterprise> , "
        "<https://w3id.org/educluster#PublicAuthority> .', format='turtle')\n"
        "print(len(check_consistency(g, justify=False)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd="/", capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1\n"  # one problem, and nothing else on stdout


@pytest.mark.java
def test_the_derived_facts_agree_with_the_ontology():
    """What the derivation rules add to the examples (defaults, orientation, classes,
    memberships) is consistent with the ontology's axioms too."""
    from educluster.owl import check_consistency
    from educluster.reasoning import materialize
    from educluster.store import OxigraphStore
    from educluster.vocab import DATA_GRAPH_PREFIX, DERIVED_GRAPH, ONTOLOGY_GRAPH

    store = OxigraphStore()
    for path in example_files():
        store.load(path.read_bytes(), pyoxigraph.RdfFormat.TURTLE,
                   graph=DATA_GRAPH_PREFIX + path.stem, source=path.name)
    materialize(store)
    quads = [q for q in store.quads("*") if getattr(q.graph_name, "value", None) != ONTOLOGY_GRAPH]
    assert any(getattr(q.graph_name, "value", None) == DERIVED_GRAPH for q in quads)
    text = pyoxigraph.serialize([pyoxigraph.Triple(q.subject, q.predicate, q.object)
                                 for q in quads], format=pyoxigraph.RdfFormat.N_TRIPLES)
    data = Graph().parse(data=text.decode("utf-8"), format="nt")
    problems = check_consistency(data, justify=False)
    assert problems == [], "\n".join(f"{p.focus_node}: {p.message}" for p in problems)


@pytest.mark.java
def test_a_reasoner_run_past_its_time_limit_is_stopped_with_a_clear_error():
    owlready2 = pytest.importorskip("owlready2")
    from educluster.owl import check_consistency

    with pytest.raises(EduclusterError, match="did not finish within"):
        check_consistency(turtle("id:x a ec:Enterprise ."), timeout=0.05)
    # owlready2's subprocess options are as they were, and the next check works
    assert "timeout" not in owlready2.reasoning._subprocess_kargs
    assert check_consistency(turtle("id:x a ec:Enterprise ."), justify=False) == []


@pytest.mark.java
def test_the_ontology_and_the_examples_are_in_owl2_dl(tmp_path):
    """The OWL API's profile checker: what HermiT reasons on is OWL 2 DL, not OWL Full."""
    import subprocess

    owlready2 = pytest.importorskip("owlready2")
    from educluster.owl import _java_executable, _Model, ontology_graph

    data = Graph()
    for path in example_files():
        data.parse(path, format="turtle")
    model = _Model(ontology_graph(), data)
    assert model.structural_problems() == []
    documents = {"ontology": ontology_graph(),
                 "ontology-and-examples": model.reasoner_graph(unique_names=True)}
    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    checker = Path(__file__).parent / "java" / "OwlProfile.java"
    for name, graph in documents.items():
        path = tmp_path / f"{name}.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        done = subprocess.run([_java_executable(), "-cp", str(jar), str(checker), str(path)],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path,
                              check=False)
        if done.returncode != 0 and "compilation" in done.stderr.lower():
            pytest.skip("no JDK: Java's source launcher cannot compile the profile checker")
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.startswith("IN-PROFILE"), (name, done.stdout[:3000])


@pytest.mark.java
def test_an_explicit_sector_or_level_other_than_the_default_is_consistent():
    """DESIGN.md: an explicit value in the data wins over the default (no contradiction)."""
    from educluster.owl import check_consistency

    data = turtle("""
        id:e a ec:Enterprise ; ec:sector ec:EducationSector .
        id:s a ec:GeneralSecondarySchool ; ec:educationLevel ec:HigherLevel .
        id:a a ec:PublicAuthority ; ec:sector ec:EducationSector , ec:GovernmentSector .
    """)
    assert check_consistency(data, justify=False) == []


def test_unique_names_cover_exactly_the_names_a_reasoner_could_merge():
    from educluster.owl import _Model, ontology_graph

    data = turtle("""
        id:c a ec:Cluster ; ec:region id:r1 , id:r2 ; ec:commonGoal id:g .
        id:k a ec:Cooperation ; ec:inCluster id:c ; ec:partner id:s , id:u .
    """)
    graph = _Model(ontology_graph(), data).reasoner_graph(unique_names=True)
    ontology_groups = {g for g in ontology_graph().subjects(RDF.type, OWL.AllDifferent)}
    groups = [set(graph.items(graph.value(g, OWL.distinctMembers)))
              for g in graph.subjects(RDF.type, OWL.AllDifferent)]
    assert len(groups) == len(ontology_groups) + 1
    names = {str(x).rsplit("/", 1)[-1] for group in groups for x in group
             if str(x).startswith("https://w3id.org/educluster/id/")}
    # values of the functional ec:region and ec:inCluster; not the goal, the partners or k
    assert names == {"r1", "r2", "c"}
    plain = _Model(ontology_graph(), data).reasoner_graph(unique_names=False)
    assert len(list(plain.subjects(RDF.type, OWL.AllDifferent))) == len(ontology_groups)
