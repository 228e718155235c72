// Explain why a cluster definition is inconsistent with the educluster ontology: one
// justification, i.e. a minimal set of axioms that together are inconsistent, found with
// HermiT as the oracle.
//
// Usage: java -cp HermiT.jar ExplainInconsistency.java ONTOLOGY.nt COMBINED.nt
//   ONTOLOGY.nt  the ontology alone (consistent)
//   COMBINED.nt  the ontology and the definition together
// Output: "CONSISTENT", or "INCONSISTENT" followed by one line per axiom of the
// justification: "DATA <axiom>" for an axiom of the definition, "ONTOLOGY <axiom>" for one of
// the ontology, in the OWL API's functional-style syntax.
//
// Method: QuickXplain (Junker, 2004) over the definition's axioms with the whole ontology as
// background, then over the ontology's axioms with the definition's culprits as background.
// HermiT.jar (bundled with owlready2) carries the OWL API 3 it needs.  Run by educluster.owl
// with Java's single-file source launcher; nothing is compiled into the project.

import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;

public class ExplainInconsistency {

    private static final OWLOntologyManager MANAGER = OWLManager.createOWLOntologyManager();

    private static Configuration configuration() {
        Configuration configuration = new Configuration();
        configuration.throwInconsistentOntologyException = false;
        configuration.ignoreUnsupportedDatatypes = true;
        return configuration;
    }

    private static boolean consistent(Set<OWLAxiom> axioms) throws Exception {
        OWLOntology ontology = MANAGER.createOntology(axioms);
        try {
            Reasoner reasoner = new Reasoner(configuration(), ontology);
            try {
                return reasoner.isConsistent();
            } finally {
                reasoner.dispose();
            }
        } finally {
            MANAGER.removeOntology(ontology);
        }
    }

    private static Set<OWLAxiom> union(Set<OWLAxiom> a, List<OWLAxiom> b) {
        Set<OWLAxiom> all = new HashSet<OWLAxiom>(a);
        all.addAll(b);
        return all;
    }

    /** A minimal subset X of candidates with background + X inconsistent. */
    private static List<OWLAxiom> quickXplain(Set<OWLAxiom> background, boolean added,
                                              List<OWLAxiom> candidates) throws Exception {
        if (added && !consistent(background)) {
            return new ArrayList<OWLAxiom>();
        }
        if (candidates.size() == 1) {
            return candidates;
        }
        int half = candidates.size() / 2;
        List<OWLAxiom> first = new ArrayList<OWLAxiom>(candidates.subList(0, half));
        List<OWLAxiom> second = new ArrayList<OWLAxiom>(candidates.subList(half, candidates.size()));
        List<OWLAxiom> fromSecond = quickXplain(union(background, first), !first.isEmpty(), second);
        List<OWLAxiom> fromFirst = quickXplain(union(background, fromSecond), !fromSecond.isEmpty(), first);
        List<OWLAxiom> result = new ArrayList<OWLAxiom>(fromFirst);
        result.addAll(fromSecond);
        return result;
    }

    private static Set<OWLAxiom> logicalAxioms(File file) throws Exception {
        OWLOntology ontology = MANAGER.loadOntologyFromOntologyDocument(file);
        Set<OWLAxiom> axioms = new LinkedHashSet<OWLAxiom>();
        for (OWLAxiom axiom : ontology.getAxioms()) {
            if (axiom.isLogicalAxiom()) {
                axioms.add(axiom);
            }
        }
        MANAGER.removeOntology(ontology);
        return axioms;
    }

    public static void main(String[] args) throws Exception {
        Set<OWLAxiom> ontology = logicalAxioms(new File(args[0]));
        Set<OWLAxiom> combined = logicalAxioms(new File(args[1]));
        if (consistent(combined)) {
            System.out.println("CONSISTENT");
            return;
        }
        List<OWLAxiom> data = new ArrayList<OWLAxiom>();
        for (OWLAxiom axiom : combined) {
            if (!ontology.contains(axiom)) {
                data.add(axiom);
            }
        }
        List<OWLAxiom> dataCulprits = consistent(ontology) && !data.isEmpty()
            ? quickXplain(ontology, false, data) : new ArrayList<OWLAxiom>();
        Set<OWLAxiom> culprits = new HashSet<OWLAxiom>(dataCulprits);
        List<OWLAxiom> ontologyCulprits = new ArrayList<OWLAxiom>();
        if (consistent(culprits)) {
            ontologyCulprits = quickXplain(culprits, false, new ArrayList<OWLAxiom>(ontology));
        }
        System.out.println("INCONSISTENT");
        for (OWLAxiom axiom : dataCulprits) {
            System.out.println("DATA " + axiom.toString().replace('\n', ' '));
        }
        for (OWLAxiom axiom : ontologyCulprits) {
            System.out.println("ONTOLOGY " + axiom.toString().replace('\n', ' '));
        }
    }
}
