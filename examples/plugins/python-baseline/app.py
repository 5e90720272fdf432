"""`resource-limits`: an example baseline plugin in Python, composed with `cis-level-2`.

Every container of every pod-bearing object sets CPU and memory limits, and no memory limit is
above `maxMemory` (default 4Gi). Built with componentize-py against the `baseline-plugin`
world of the SDK's newest WIT (examples/README.md):

    componentize-py -d plugins/sdk/wit/since_v0.2.0 -w baseline-plugin componentize \
        -p examples/plugins/python-baseline app -o resource-limits.wasm

The host checks `params` against the schema below before `check` sees them.
"""

import json

from wit_world import exports
from wit_world.imports.types import (
    CheckOutput, Diagnostic, ObjectRef, PluginMetadata, Severity,
)

NAME = "resource-limits"
LIMITS = "LIMITS-MISSING"
TOO_BIG = "LIMITS-MEMORY-MAX"
POD_KINDS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": f"baseline {NAME}",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"const": NAME},
        "maxMemory": {"description": "the largest memory limit a container may set",
                      "type": "string", "pattern": "^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$", "default": "4Gi"},
    },
    "x-hms-explain": {
        LIMITS: {"summary": "A container sets no CPU or no memory limit.",
                 "why": "One container without limits can starve every other workload on its node.",
                 "control": "NIST SP 800-53 SC-6 (resource availability)",
                 "fix": "Set resources.limits.cpu and resources.limits.memory on the container."},
        TOO_BIG: {"summary": "A container's memory limit is above the baseline's `maxMemory`.",
                  "why": "The agency sizes its nodes for containers up to `maxMemory`.",
                  "control": "NIST SP 800-53 SC-6 (resource availability)",
                  "fix": "Lower the limit, or raise `maxMemory` in the spec's baseline entry."},
    },
}


def bytes_of(quantity):
    """A memory quantity (`256Mi`, `1G`, `1000`) in bytes; None when it is not one."""
    for unit, factor in UNITS.items():
        if quantity.endswith(unit) and quantity[: -len(unit)].isdigit():
            return int(quantity[: -len(unit)]) * factor
    return int(quantity) if quantity.isdigit() else None


def pod_spec(obj):
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec, "/spec"
    if obj.get("kind") == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}, \
            "/spec/jobTemplate/spec/template/spec"
    return (spec.get("template") or {}).get("spec") or {}, "/spec/template/spec"


def findings(manifests, params):
    max_memory = bytes_of(params.get("maxMemory", "4Gi"))
    for text in manifests:
        obj = json.loads(text)
        if obj.get("kind") not in POD_KINDS:
            continue
        meta = obj.get("metadata") or {}
        api = obj.get("apiVersion", "")
        ref = ObjectRef(api.split("/")[0] if "/" in api else "", obj["kind"],
                        meta.get("namespace", ""), meta.get("name", ""))
        spec, at = pod_spec(obj)
        for i, c in enumerate(spec.get("containers") or []):
            limits = (c.get("resources") or {}).get("limits") or {}
            where = f"{at}/containers/{i}/resources/limits"
            missing = [r for r in ("cpu", "memory") if r not in limits]
            if missing:
                yield Diagnostic(Severity.ERROR, LIMITS,
                                 f"container {c.get('name')!r} sets no {' and no '.join(missing)} limit",
                                 where, "set resources.limits.cpu and resources.limits.memory", ref)
            memory = bytes_of(str(limits.get("memory", "0")))
            if memory is not None and max_memory is not None and memory > max_memory:
                yield Diagnostic(Severity.ERROR, TOO_BIG,
                                 f"container {c.get('name')!r} may use {limits['memory']} of memory, "
                                 f"more than maxMemory {params.get('maxMemory', '4Gi')}",
                                 where + "/memory", "lower the limit or raise maxMemory", ref)


class Baseline(exports.Baseline):
    def metadata(self):
        return PluginMetadata(NAME, "0.1.0", "0.2.0", "baseline",
                              "Every container sets CPU and memory limits, memory at most maxMemory",
                              [], json.dumps(SCHEMA))

    def check(self, manifests, params, ctx):
        return CheckOutput(list(findings(manifests, json.loads(params))), None)
