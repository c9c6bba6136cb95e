"""deploy/spark.md, as written: Vigil's detection as a job on a Spark standalone cluster (a
master and one worker started from the installed pyspark), then the findings sent to a
central `vigil serve` with Security Hub's BatchImportFindings (the AWS SDK for Python)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import vigil
from serving import serving
from vigil.detect.harness import _write
from vigil.detect.sigma_import import every_unit

pytest.importorskip("pyspark")
from spark_kit import standalone_cluster

pytestmark = pytest.mark.slow

UNITS = ("stealth-ec2-flowlogsdeleted", "recon-ec2-portscan")
BATCH = 100  # findings per BatchImportFindings call, Security Hub's limit


def test_detection_on_a_standalone_cluster_reaches_a_central_server(tmp_path: Path) -> None:
    units, problems = every_unit(None, Path("/nonexistent"), list(UNITS), None, cases=True)
    assert not problems
    for i, unit in enumerate(units):
        _write(unit.cases[0], tmp_path / "src" / str(i))
    job = tmp_path / "job"  # the job's home: the shared lake, its own findings
    assert vigil(job, "ingest", str(tmp_path / "src")).returncode == 0
    reference = tmp_path / "reference"
    shutil.copytree(job, reference)
    chosen = [arg for unit in UNITS for arg in ("--unit", unit)]
    assert vigil(reference, "detect", *chosen).returncode == 0

    with standalone_cluster(tmp_path / "cluster") as master:
        (job / "vigil.yaml").write_text(
            f"engine: spark\nspark:\n  master: {master}\n"
            "  conf:\n    spark.executor.memory: 512m\n    spark.cores.max: '1'\n"
        )
        ran = vigil(job, "detect", *chosen, "--json")
    assert ran.returncode == 0, ran.stderr + ran.stdout[:1500]
    assert json.loads(ran.stdout)["findings"] == {"stealth-ec2-flowlogsdeleted": 1,
                                                   "recon-ec2-portscan": 1}  # fmt: skip
    out = tmp_path / "findings.json"
    assert vigil(job, "findings", "export", "--format", "asff", "--out", str(out)).returncode == 0
    sent = json.loads(out.read_text())
    expected = json.loads(vigil(reference, "findings", "export", "--format", "asff").stdout)
    assert sorted(f["Id"] for f in sent) == sorted(f["Id"] for f in expected)

    with serving(tmp_path / "central") as server:
        hub = server.client("securityhub")
        for start in range(0, len(sent), BATCH):
            reply = hub.batch_import_findings(Findings=sent[start : start + BATCH])
            assert reply["FailedCount"] == 0, reply["FailedFindings"]
        got = hub.get_findings()["Findings"]
    assert sorted(f["Id"] for f in got) == sorted(f["Id"] for f in sent)
