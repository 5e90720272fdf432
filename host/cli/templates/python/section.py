"""`{{name}}`: an hms-sys plugin for the `{{section}}` section, in Python.

Build (README.md): componentize-py -d wit -w section-plugin componentize app -o {{name}}.wasm
The host validates the spec's `{{section}}` against SCHEMA before `render` runs.
"""

import json

from wit_world import exports
from wit_world.imports.types import KindRef, PluginMetadata, RenderOutput

NAME = "{{name}}"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "{{section}}",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"description": "The name of the object this plugin renders.",
                 "type": "string", "format": "dns1123-label"},
    },
}


class Section(exports.Section):
    def metadata(self):
        return PluginMetadata(NAME, "0.1.0", "{{wit_version}}", "{{section}}", "{{description}}",
                              [KindRef("{{group}}", "{{kind}}")], json.dumps(SCHEMA))

    def render(self, section, ctx):
        name = json.loads(section)["name"]
        labels = dict(ctx.common_labels)
        labels.update({"app.kubernetes.io/name": ctx.spec_name, "app.kubernetes.io/component": NAME})
        obj = {"apiVersion": "{{api_version}}", "kind": "{{kind}}",
               "metadata": {"name": name, "namespace": ctx.namespace, "labels": labels}}
        obj.update({{body}})
        return RenderOutput([json.dumps(obj)], [], [])


class Status(exports.Status):
    def status(self, section, objects, nodes, ctx):
        # None: the host judges this section's objects by its generic readiness rules.
        return None
