#!/usr/bin/env python3
"""Renders a kustomization without the kustomize binary (none is packaged
for Debian or on PyPI), for scripts/validate-deploy.sh.

It implements the subset of kustomize that deploy/k8s uses, with kustomize's
semantics: `resources` (files and kustomization folders), `patches` (files
holding strategic-merge patches, matched by kind and name), then
`namespace`, `images` and `replicas`. Anything else in a kustomization is an
error, so a feature added to the overlays without support here fails loudly
instead of being ignored. When `kubectl` is installed, validate-deploy.sh
compares this output with `kubectl kustomize`.

Usage: kustomize_render.py DIR   (prints the rendered YAML stream)
"""

import copy
import sys
from pathlib import Path

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "patches", "namespace", "images", "replicas"}

# Strategic-merge keys of the lists deploy/k8s patches (Kubernetes' own
# patchMergeKey); any other list is replaced, as in Kubernetes.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
}

# Kinds that take no namespace.
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass",
                  "PersistentVolume", "CustomResourceDefinition", "PriorityClass", "IngressClass"}


class RenderError(Exception):
    pass


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def merge_key(field, items):
    if field == "ports":
        # Containers' ports merge on containerPort, Services' on port.
        return "containerPort" if all("containerPort" in i for i in items) else "port"
    return MERGE_KEYS.get(field)


def merge(base, patch, field=None):
    if isinstance(patch, dict):
        if not isinstance(base, dict) or patch.get("$patch") == "replace":
            return {k: v for k, v in patch.items() if k != "$patch"}
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value, key)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(patch, list) and isinstance(base, list):
        key = merge_key(field, [i for i in base + patch if isinstance(i, dict)])
        if key is None or not all(isinstance(i, dict) and key in i for i in base + patch):
            return copy.deepcopy(patch)
        out = [copy.deepcopy(i) for i in base]
        for item in patch:
            at = next((n for n, b in enumerate(out) if b[key] == item[key]), None)
            if item.get("$patch") == "delete":
                if at is not None:
                    del out[at]
            elif at is None:
                out.append(copy.deepcopy(item))
            else:
                out[at] = merge(out[at], item, None)
        return out
    return copy.deepcopy(patch)


def ident(doc):
    return (doc.get("kind"), doc.get("metadata", {}).get("name"))


def render(directory):
    directory = Path(directory)
    kfile = directory / "kustomization.yaml"
    if not kfile.is_file():
        raise RenderError(f"{directory}: no kustomization.yaml")
    spec = load_docs(kfile)[0]
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise RenderError(f"{kfile}: fields not supported by this renderer: {sorted(unknown)}")

    docs = []
    for entry in spec.get("resources", []):
        path = directory / entry
        docs += render(path) if path.is_dir() else load_docs(path)
    seen = set()
    for doc in docs:
        if ident(doc) in seen:
            raise RenderError(f"{directory}: duplicate resource {ident(doc)}")
        seen.add(ident(doc))

    for entry in spec.get("patches", []):
        if set(entry) != {"path"}:
            raise RenderError(f"{kfile}: only `patches: - path: FILE` is supported")
        for patch in load_docs(directory / entry["path"]):
            at = [n for n, d in enumerate(docs) if ident(d) == ident(patch)]
            if not at:
                raise RenderError(f"{kfile}: patch {entry['path']} targets missing {ident(patch)}")
            docs[at[0]] = merge(docs[at[0]], patch)

    namespace = spec.get("namespace")
    if namespace:
        for doc in docs:
            if doc.get("kind") not in CLUSTER_SCOPED:
                doc.setdefault("metadata", {})["namespace"] = namespace

    images = {i["name"]: i for i in spec.get("images", [])}
    used = set()
    for doc in docs:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            name, _, tag = container["image"].partition(":")
            if name in images:
                rule = images[name]
                used.add(name)
                container["image"] = f"{rule.get('newName', name)}:{rule.get('newTag', tag)}"
    if set(images) - used:
        raise RenderError(f"{kfile}: images match no container: {sorted(set(images) - used)}")

    for rule in spec.get("replicas", []):
        targets = [d for d in docs if d.get("kind") in ("Deployment", "StatefulSet")
                   and d["metadata"]["name"] == rule["name"]]
        if not targets:
            raise RenderError(f"{kfile}: replicas for missing workload {rule['name']}")
        for doc in targets:
            doc["spec"]["replicas"] = rule["count"]
    return docs


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        docs = render(sys.argv[1])
    except (RenderError, OSError, yaml.YAMLError) as error:
        sys.exit(f"kustomize_render: {error}")
    yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
