"""``educluster validate`` as an analyst runs it: the installed command, in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF, SH, Graph, Literal

from educluster.resources import example_files, flawed_example_files, resource_dir

DATA = resource_dir("data")
TASHKENT = DATA / "tashkent-teacher-education.ttl"
CASES = Path(__file__).resolve().parent / "validation_cases"


def command() -> list[str]:
    installed = shutil.which("educluster") or str(Path(sys.executable).parent / "educluster")
    return [installed] if Path(installed).exists() else [sys.executable, "-m", "educluster"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*command(), "validate", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_conforming_example_exits_0_with_a_text_report():
    done = run(str(TASHKENT))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.rstrip("\n").splitlines()
    assert lines[-2] == "Verdict: CONFORMS: a sound cluster definition."
    assert lines[-1].startswith("Orientation of Innovative cluster of teacher education of the "
                                "Tashkent region: vertical")
    assert done.stderr == ""


def test_flawed_example_exits_1_and_names_the_participant():
    path = DATA / "flawed" / "regionalization.ttl"
    done = run(str(path))
    assert done.returncode == 1, done.stderr
    assert "Regionalization: 1 violation" in done.stdout
    assert "Verdict: DOES NOT CONFORM" in done.stdout


def test_warnings_only_exit_0():
    done = run("--format", "json", str(CASES / "specific-goals-missing.ttl"))
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["conforms"] is True and report["counts"]["Warning"] == 1


def test_json_format_is_the_library_report():
    from educluster.validation import validate_files

    path = CASES / "leadership-jurisdiction-too-small.ttl"
    done = run("--format", "json", str(path))
    assert done.returncode == 1
    assert json.loads(done.stdout) == validate_files([str(path)]).to_dict()


def test_turtle_format_is_a_validation_report():
    done = run("--format", "turtle", str(CASES / "pilot-disseminated-without-pilot.ttl"))
    assert done.returncode == 1
    g = Graph().parse(data=done.stdout, format="turtle")
    report = g.value(predicate=RDF.type, object=SH.ValidationReport)
    assert g.value(report, SH.conforms) == Literal(False)


def test_forms_and_several_files():
    sheets = [str(p) for p in sorted((DATA / "forms" / "tashkent").glob("*.csv"))]
    expected = json.loads(run("--format", "json", str(TASHKENT)).stdout)
    for files in ([str(DATA / "forms" / "tashkent.yaml")], sheets):
        done = run("--format", "json", *files)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected
    everything = run("--format", "json", *[str(p) for p in example_files()])
    assert everything.returncode == 0, everything.stdout[-2000:]


def test_every_flawed_example_exits_as_its_severity_says():
    for path in flawed_example_files():
        done = run("--format", "json", str(path))
        report = json.loads(done.stdout)
        assert done.returncode == (0 if report["conforms"] else 1), path
        assert report["results"], path


# ---------------------------------------------------------------- bad input: exit 2, one line

def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_missing_file(tmp_path):
    assert_one_line_error(run(str(tmp_path / "nope.ttl")), "nope.ttl", "no such file")


def test_empty_file(tmp_path):
    (tmp_path / "empty.ttl").write_text("")
    assert_one_line_error(run(str(tmp_path / "empty.ttl")), "empty.ttl", "empty")


def test_unknown_extension(tmp_path):
    (tmp_path / "cluster.xlsx").write_bytes(b"PK\x03\x04")
    assert_one_line_error(run(str(tmp_path / "cluster.xlsx")), "cluster.xlsx", ".xlsx")


def test_unparseable_turtle_names_the_line(tmp_path):
    path = tmp_path / "broken.ttl"
    path.write_text("@prefix ec: <https://w3id.org/educluster#> .\n<a> ec:p <b>\n<c> ec:p .\n")
    assert_one_line_error(run(str(path)), "broken.ttl, line 3", "not valid Turtle")


def test_unparseable_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("cluster:\n  id: c\n   label: x\n")
    assert_one_line_error(run(str(path)), "broken.yaml, line", "YAML")


def test_bad_csv_row(tmp_path):
    (tmp_path / "clusters.csv").write_text("id,type,region\nc,EducationalCluster,r\n")
    (tmp_path / "objectives.csv").write_text("id,deadline\no1,2026-06-30\no2,soon\n")
    done = run(str(tmp_path / "clusters.csv"), str(tmp_path / "objectives.csv"))
    assert_one_line_error(done, "objectives.csv, line 3", "'deadline'", "YYYY-MM-DD")


def test_no_cluster(tmp_path):
    path = tmp_path / "school.ttl"
    path.write_text("<https://w3id.org/educluster/id/s> a "
                    "<https://w3id.org/educluster#GeneralSecondarySchool> .\n")
    assert_one_line_error(run(str(path)), "school.ttl", "no cluster found")


def test_usage_error():
    done = subprocess.run([*command(), "validate", "--format", "pdf", str(TASHKENT)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr


@pytest.mark.java
def test_owl_flag(tmp_path):
    path = tmp_path / "two-kinds.ttl"
    path.write_text((CASES / "conforming-minimal.ttl").read_text()
                    + "\nid:school a ec:Enterprise .\n")
    done = run("--owl", "--format", "json", str(path))
    assert done.returncode == 1, done.stderr
    principles = {r["principle"] for r in json.loads(done.stdout)["results"]}
    assert "https://w3id.org/educluster#OntologyConsistency" in principles
