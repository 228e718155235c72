// Check that an ontology document is in the OWL 2 DL profile (OWL API 3, from the HermiT.jar
// that owlready2 bundles).  Usage: java -cp HermiT.jar OwlProfile.java FILE
// Prints "IN-PROFILE <axiom count>" or one "VIOLATION <text>" line per violation.

import java.io.File;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class OwlProfile {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        if (report.isInProfile()) {
            System.out.println("IN-PROFILE " + ontology.getLogicalAxiomCount());
        }
        for (OWLProfileViolation violation : report.getViolations()) {
            System.out.println("VIOLATION " + violation.toString().replace('\n', ' '));
        }
    }
}
