"""tests/ops/k8s_check.py - the Kubernetes manifests of deploy/kubernetes/
are not applied anywhere (no cluster here; their README says so), but they
must stay well-formed: each file parses as YAML, and the objects carry what
docs/operations.md promises (readiness on /v1/health, the token Secret, a
PodDisruptionBudget, flags judgebox serve really takes)."""
import glob
import os
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.join(ROOT, os.environ.get("BUILD", "build"), "judgebox")


def report(name, ok, why=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
    return ok


docs = {}
ok = True
for path in sorted(glob.glob(os.path.join(ROOT, "deploy", "kubernetes", "*.yaml"))):
    try:
        for d in yaml.safe_load_all(open(path)):
            docs[d["kind"]] = d
        ok &= report("k8s: %s parses" % os.path.basename(path), True)
    except Exception as e:
        ok &= report("k8s: %s parses" % os.path.basename(path), False, str(e)[:300])
ok &= report("k8s: Deployment, Service, PodDisruptionBudget, Secret",
             {"Deployment", "Service", "PodDisruptionBudget", "Secret"} <= set(docs), str(sorted(docs)))
dep = docs.get("Deployment", {})
c = ((dep.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or [{}])[0])
probe = c.get("readinessProbe", {}).get("httpGet", {})
ok &= report("k8s: readiness on /v1/health", probe.get("path") == "/v1/health", str(probe))
pdb = docs.get("PodDisruptionBudget", {}).get("spec", {})
ok &= report("k8s: the PDB selects the Deployment's pods",
             pdb.get("selector") == dep.get("spec", {}).get("selector"), str(pdb))
args = c.get("args", [])
flags = [a for a in args if a.startswith("--")]
out = subprocess.run([BINARY, "serve", "--help"], stdout=subprocess.PIPE, timeout=30).stdout.decode()
unknown = [f for f in flags if f not in out]
ok &= report("k8s: every serve flag in the Deployment exists", args[:1] == ["serve"] and not unknown,
             "unknown %s" % unknown)
sys.exit(0 if ok else 1)
