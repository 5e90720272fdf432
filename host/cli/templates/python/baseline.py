"""`{{name}}`: an hms-sys compliance baseline in Python, composed with `cis-level-2` in a spec:

    baseline:
      - cis-level-2
      - name: {{name}}
        plugin: ./plugins/{{name}}.wasm
        forbiddenKinds: [Secret]

Build (README.md): componentize-py -d wit -w baseline-plugin componentize app -o {{name}}.wasm
Rule `{{code}}-FORBIDDEN-KIND`: no rendered object is of a kind in `forbiddenKinds`.
"""

import json

from wit_world import exports
from wit_world.imports.types import CheckOutput, Diagnostic, ObjectRef, PluginMetadata, Severity

NAME = "{{name}}"
FORBIDDEN = "{{code}}-FORBIDDEN-KIND"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": f"baseline {NAME}",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"const": NAME},
        "forbiddenKinds": {"description": "kinds no rendered object may have",
                           "type": "array", "items": {"type": "string"}, "default": ["Secret"]},
    },
    "x-hms-explain": {
        FORBIDDEN: {"summary": "The spec renders an object of a kind this baseline forbids.",
                    "why": "The agency keeps these kinds out of specs (`forbiddenKinds`).",
                    "control": "",
                    "fix": "Remove the object from the spec, or the kind from `forbiddenKinds`."},
    },
}


def findings(manifests, params):
    forbidden = params.get("forbiddenKinds", ["Secret"])
    for text in manifests:
        obj = json.loads(text)
        if obj.get("kind") in forbidden:
            api, meta = obj.get("apiVersion", ""), obj.get("metadata") or {}
            ref = ObjectRef(api.split("/")[0] if "/" in api else "", obj["kind"],
                            meta.get("namespace", ""), meta.get("name", ""))
            yield Diagnostic(Severity.ERROR, FORBIDDEN,
                             f"the spec renders a {obj['kind']}, a kind this baseline forbids", "/kind",
                             "remove it from the spec, or the kind from forbiddenKinds", ref)


class Baseline(exports.Baseline):
    def metadata(self):
        return PluginMetadata(NAME, "0.1.0", "{{wit_version}}", "baseline", "{{description}}",
                              [], json.dumps(SCHEMA))

    def check(self, manifests, params, ctx):
        return CheckOutput(list(findings(manifests, json.loads(params))), None)
