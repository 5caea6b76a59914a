#!/usr/bin/env python3
"""Checks the deployment files without a container engine or a cluster.

Run by scripts/validate-deploy.sh (which provides the virtualenv, the
service binaries and promtool):

  validate_deploy.py --root REPO --bin-dir DIR [--promtool PATH]

Prints one line per check ("ok", "FAIL" or "skip") and exits 1 when a check
fails. The checks:
- docker-compose.yml against the Compose specification schema (the copy
  vendored by the check-jsonschema package), after interpolating `${...}`
  from .env.example the way `docker compose` does;
- the Kubernetes overlays rendered (deploy/tools/kustomize_render.py, and
  compared with `kubectl kustomize` when kubectl is installed), each object
  against the Kubernetes JSON schemas of the kubernetes-validate package
  (strict: unknown fields fail), and their references (ConfigMaps,
  Services, ports, autoscaling targets, probes);
- every service's environment, from compose and from each overlay, given to
  the service binary with --check-config (secrets replaced by dummy values
  of the right shape), and every variable name checked against the
  variables the service documents in its config.rs; a WEB_DIST_DIR must be
  the folder where deploy/Dockerfile's api-gateway target puts the web
  client, and is checked with a stand-in folder holding an index.html (the
  real one exists only in the image);
- nginx-rtmp's configuration rendered by its image's entrypoint with the
  compose and Kubernetes values, then `nginx -t`;
- the Prometheus configuration and rules with promtool, and every metric
  name in the rules and the Grafana dashboard against the metrics the code
  exports.
"""

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kustomize_render  # noqa: E402

K8S_VERSION = "1.31.0"
SERVICES = ["live-catalog", "stream-key", "ingest-events", "chat-gateway", "api-gateway"]
SECRET_VARS = {"JWT_SECRET", "DATABASE_URL", "STREAM_KEY_ENC_KEY", "STREAM_KEY_HMAC_KEY",
               "INTERNAL_TOKEN", "POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY"}
# Dummy values of the right shape for Secret references.
DUMMY_SECRETS = {
    "JWT_SECRET": "dummy-jwt-secret-for-validation-0123456789abcdef",
    "STREAM_KEY_ENC_KEY": "ab" * 32,
    "STREAM_KEY_HMAC_KEY": "cd" * 32,
    "INTERNAL_TOKEN": "dummy-internal-token-0123456789",
    "DATABASE_URL": "postgres://veza:dummy@postgres.example:5432/{database}",
    "AWS_ACCESS_KEY_ID": "AKIADUMMYVALIDATION0",
    "AWS_SECRET_ACCESS_KEY": "dummy-secret-access-key-for-validation-0123",
}
DATABASES = {"live-catalog": "live_catalog", "stream-key": "stream_key",
             "ingest-events": "ingest_events", "chat-gateway": "chat"}
# Compose variables that .env.example does not hold (deploy/.env does).
COMPOSE_DUMMIES = {"POSTGRES_PASSWORD": "dummypassword0"}
# Metrics of prometheus-nats-exporter (-jsz=all) and of Prometheus itself.
EXTERNAL_METRICS = {"up", "jetstream_consumer_num_pending", "jetstream_consumer_num_ack_pending",
                    "jetstream_consumer_num_redelivered"}


class Checker:
    def __init__(self):
        self.failures = 0

    def ok(self, what):
        print(f"ok    {what}", flush=True)

    def fail(self, what, detail=""):
        self.failures += 1
        print(f"FAIL  {what}", flush=True)
        for line in str(detail).strip().splitlines()[:25]:
            print(f"      {line}", flush=True)

    def skip(self, what):
        print(f"skip  {what}", flush=True)

    def check(self, what, problems):
        if problems:
            self.fail(what, "\n".join(problems))
        else:
            self.ok(what)


# --- environment and variable names ---------------------------------------

def read_env_file(path):
    env = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def doc_variables(path):
    """Upper-case names in backticks in the //! doc of a config.rs."""
    doc = "\n".join(line for line in Path(path).read_text(encoding="utf-8").splitlines()
                    if line.startswith("//!"))
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", doc))


def known_variables(root):
    platform = doc_variables(root / "crates/platform/src/config.rs")
    known = {}
    for service in SERVICES:
        path = root / f"services/{service}/src/config.rs"
        names = doc_variables(path)
        if "CommonConfig::from_env" in path.read_text(encoding="utf-8"):
            names |= platform
        known[service] = names
    return known


def image_web_dist(root):
    """The WEB_DIST_DIR of deploy/Dockerfile's api-gateway target, if it copies the web build there."""
    text = (root / "deploy/Dockerfile").read_text(encoding="utf-8")
    env = re.search(r"^ENV WEB_DIST_DIR=(\S+)\s*$", text, re.M)
    if env and re.search(rf"^COPY --from=web \S+ {re.escape(env.group(1))}\s*$", text, re.M):
        return env.group(1)
    return None


def run_check_config(binary, env):
    clean = {"PATH": "/usr/bin:/bin"}
    clean.update(env)
    try:
        with tempfile.TemporaryDirectory(prefix="veza-web-dist-") as stand_in:
            if clean.get("WEB_DIST_DIR"):
                Path(stand_in, "index.html").write_text("<!doctype html>\n", encoding="utf-8")
                clean["WEB_DIST_DIR"] = stand_in
            done = subprocess.run([str(binary), "--check-config"], env=clean, capture_output=True,
                                  text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "timed out (does the binary support --check-config?)"
    if done.returncode == 0 and done.stdout.strip() == "config ok":
        return None
    return (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"


def check_service_env(c, root, bin_dir, known, label, service, env):
    unknown = sorted(set(env) - known[service])
    if unknown:
        c.fail(f"{label}: variable names", f"not read by {service} (see services/{service}/src/config.rs): "
               + ", ".join(unknown))
    web_dist = env.get("WEB_DIST_DIR")
    if web_dist and web_dist != image_web_dist(root):
        c.fail(f"{label}: WEB_DIST_DIR", f"{web_dist} is not where deploy/Dockerfile's api-gateway target "
               f"puts the web client ({image_web_dist(root) or 'no COPY --from=web with ENV WEB_DIST_DIR'})")
    error = run_check_config(bin_dir / service, env)
    if error:
        c.fail(f"{label}: {service} --check-config", error)
    else:
        c.ok(f"{label}: {service} --check-config (config ok, {len(env)} variables)")


# --- nginx-rtmp -------------------------------------------------------------

def check_nginx(c, root, label, env):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    module = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
    if not nginx or not os.path.exists(module):
        c.fail(f"{label}: nginx -t", "nginx or libnginx-mod-rtmp is missing (scripts/deps.sh installs them)")
        return
    allowed = {"INGEST_URL", "CONTROL_ALLOW", "RTMP_PORT", "HTTP_PORT"}
    unknown = sorted(set(env) - allowed)
    if unknown:
        c.fail(f"{label}: variable names", "not read by deploy/nginx-rtmp/docker-entrypoint.sh: "
               + ", ".join(unknown))
    with tempfile.TemporaryDirectory(prefix="veza-nginx-") as tmp:
        run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env,
                   "RUN_DIR": f"{tmp}/run", "HLS_ROOT": f"{tmp}/data",
                   "TEMPLATE": str(root / "deploy/nginx-rtmp/nginx.conf.template"),
                   "RTMP_MODULE": module}
        done = subprocess.run(["sh", str(root / "deploy/nginx-rtmp/docker-entrypoint.sh"), "--render-only"],
                              env=run_env, capture_output=True, text=True, timeout=20)
        if done.returncode != 0:
            c.fail(f"{label}: nginx-rtmp entrypoint renders the template", done.stderr)
            return
        conf = Path(f"{tmp}/run/nginx.conf")
        text = conf.read_text(encoding="utf-8")
        # nginx resolves the hook host when it loads the configuration; the
        # cluster and compose names do not resolve here, so only for this
        # test the host becomes 127.0.0.1.
        host = re.match(r"https?://([^:/]+)", env.get("INGEST_URL", ""))
        if host:
            text = text.replace(f"//{host.group(1)}:", "//127.0.0.1:")
        conf.write_text(text, encoding="utf-8")
        done = subprocess.run([nginx, "-t", "-q", "-p", f"{tmp}/run", "-c", str(conf)],
                              capture_output=True, text=True, timeout=20)
        where = f"hook host {host.group(1)} as 127.0.0.1" if host else "no hook host"
        if done.returncode != 0:
            c.fail(f"{label}: nginx -t", done.stderr)
        else:
            c.ok(f"{label}: nginx-rtmp config renders and passes nginx -t "
                 f"(CONTROL_ALLOW={env.get('CONTROL_ALLOW')}, {where})")


# --- docker compose ----------------------------------------------------------

INTERPOLATION = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value, env, where, problems):
    def sub(m):
        if m.group(1):
            return "$"
        name = m.group(2) or m.group(5)
        op, arg = m.group(3), m.group(4) or ""
        current = env.get(name)
        empty_is_unset = op is not None and op.startswith(":")
        unset = current is None or (empty_is_unset and current == "")
        if op in (":-", "-"):
            return arg if unset else current
        if op in (":?", "?"):
            if unset:
                problems.append(f"{where}: ${{{name}}} is required: {arg}")
                return ""
            return current
        if op in (":+", "+"):
            return "" if unset else arg
        if current is None:
            problems.append(f"{where}: ${{{name}}} is not set (a typo?)")
            return ""
        return current

    if isinstance(value, str):
        return INTERPOLATION.sub(sub, value)
    if isinstance(value, list):
        return [interpolate(v, env, where, problems) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env, f"{where}.{k}", problems) for k, v in value.items()}
    return value


def compose_schema():
    path = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(path.read_text(encoding="utf-8"))


def check_compose(c, root, bin_dir, known):
    path = root / "docker-compose.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    env = {**read_env_file(root / ".env.example"), **COMPOSE_DUMMIES}
    problems = []
    doc = interpolate(raw, env, "compose", problems)
    c.check("compose: ${...} interpolation with .env.example", problems)

    validator = jsonschema.Draft7Validator(compose_schema())
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
              for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
    c.check("compose: docker-compose.yml matches the Compose specification schema", errors)

    services = doc.get("services", {})
    problems = []
    for name, svc in services.items():
        if "healthcheck" not in svc and not svc.get("profiles"):
            problems.append(f"{name}: no healthcheck")
        for dep, cond in (svc.get("depends_on") or {}).items():
            if dep not in services:
                problems.append(f"{name}: depends_on unknown service {dep}")
            elif cond.get("condition") == "service_healthy" and "healthcheck" not in services[dep]:
                problems.append(f"{name}: waits for {dep} to be healthy, which has no healthcheck")
        for key, value in (raw["services"][name].get("environment") or {}).items():
            if key in SECRET_VARS and "${" not in str(value):
                problems.append(f"{name}: {key} is written in the file instead of coming from the env file")
            if key == "DATABASE_URL" and "${POSTGRES_PASSWORD" not in str(value):
                problems.append(f"{name}: DATABASE_URL must take its password from ${{POSTGRES_PASSWORD}}")
        for volume in svc.get("volumes") or []:
            source = str(volume).split(":")[0]
            if source.startswith("./") and not (root / source).exists():
                problems.append(f"{name}: mounts missing file {source}")
    gateway = raw["services"].get("api-gateway", {}).get("environment", {})
    if str(gateway.get("LIVE_DEV_AUTH", "false")) not in ("false", "${LIVE_DEV_AUTH:-false}"):
        problems.append("api-gateway: LIVE_DEV_AUTH must default to false")
    gateway_build = raw["services"].get("api-gateway", {}).get("build") or {}
    if not isinstance(gateway_build, dict) or gateway_build.get("target") != "api-gateway":
        problems.append("api-gateway: build target must be api-gateway (the image with the web client)")
    if image_web_dist(root) is None:
        problems.append("deploy/Dockerfile: the api-gateway target must COPY --from=web the client into "
                        "the folder its ENV WEB_DIST_DIR names")
    c.check("compose: healthchecks, depends_on conditions, secrets from the env file, mounts, "
            "the gateway image with the web client", problems)

    for name, svc in services.items():
        build = svc.get("build") or {}
        args = build.get("args") or {} if isinstance(build, dict) else {}
        environment = {k: "" if v is None else str(v) for k, v in (svc.get("environment") or {}).items()}
        if args.get("SERVICE"):
            service = args["SERVICE"]
            if service not in SERVICES:
                c.fail(f"compose {name}: build arg SERVICE={service}", "not a service binary")
                continue
            if svc.get("command") or svc.get("entrypoint"):
                c.fail(f"compose {name}: command", "the image's entrypoint is the service binary; do not override it")
            # The image's own ENV (deploy/Dockerfile), then the compose environment.
            image_env = {"LISTEN_ADDR": f"0.0.0.0:{args.get('PORT', '')}", "LOG_FORMAT": "json"}
            if build.get("target") == "api-gateway":
                image_env["WEB_DIST_DIR"] = image_web_dist(root) or ""
            full = {k: v for k, v in {**image_env, **environment}.items() if v != ""}
            check_service_env(c, root, bin_dir, known, f"compose {name}", service, full)
        elif build and Path(build.get("context", "")).name == "nginx-rtmp":
            check_nginx(c, root, f"compose {name}", environment)


# --- Kubernetes --------------------------------------------------------------

def k8s_dummy_secret(key, service):
    if key not in DUMMY_SECRETS:
        return None
    return DUMMY_SECRETS[key].format(database=DATABASES.get(service, "postgres"))


def check_k8s_overlay(c, root, bin_dir, known, overlay):
    label = f"k8s {overlay}"
    try:
        docs = kustomize_render.render(root / "deploy/k8s/overlays" / overlay)
    except (kustomize_render.RenderError, OSError, yaml.YAMLError) as error:
        c.fail(f"{label}: render", error)
        return
    c.ok(f"{label}: rendered {len(docs)} objects")

    kubectl = shutil.which("kubectl")
    if kubectl:
        done = subprocess.run([kubectl, "kustomize", str(root / "deploy/k8s/overlays" / overlay)],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            c.skip(f"{label}: kubectl kustomize cross-check ({done.stderr.strip()[:80]})")
        else:
            theirs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(done.stdout) if d}
            ours = {(d["kind"], d["metadata"]["name"]): d for d in docs}
            differ = sorted(str(k) for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
            c.check(f"{label}: same output as kubectl kustomize", differ)
    else:
        c.skip(f"{label}: kubectl kustomize cross-check (no kubectl here)")

    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(copy.deepcopy(doc), K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {error.message} "
                            f"at {'/'.join(map(str, error.path))}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: no schema for {doc['apiVersion']}")
    c.check(f"{label}: every object matches the Kubernetes {K8S_VERSION} schemas (strict)", problems)

    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    configmaps = by_kind.get("ConfigMap", {})
    problems = []

    def pod_labels(workload):
        return workload["spec"]["template"]["metadata"].get("labels", {})

    workloads = {**by_kind.get("Deployment", {}), **by_kind.get("StatefulSet", {})}
    for name, svc in by_kind.get("Service", {}).items():
        targets = [w for w in workloads.values()
                   if all(pod_labels(w).get(k) == v for k, v in svc["spec"].get("selector", {}).items())]
        if not targets:
            problems.append(f"Service/{name}: selects no pods")
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort")
            if isinstance(target, str):
                names = {p.get("name") for w in targets for ct in w["spec"]["template"]["spec"]["containers"]
                         for p in ct.get("ports", [])}
                if target not in names:
                    problems.append(f"Service/{name}: targetPort {target} is no container port name")
    for name, ing in by_kind.get("Ingress", {}).items():
        for rule in ing["spec"].get("rules", []):
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                svc = by_kind.get("Service", {}).get(backend["name"])
                if not svc:
                    problems.append(f"Ingress/{name}: backend Service {backend['name']} missing")
                elif backend["port"].get("name") not in {p.get("name") for p in svc["spec"]["ports"]}:
                    problems.append(f"Ingress/{name}: Service {backend['name']} has no port {backend['port']}")
    for kind in ("PodDisruptionBudget",):
        for name, pdb in by_kind.get(kind, {}).items():
            sel = pdb["spec"]["selector"]["matchLabels"]
            if not any(all(pod_labels(w).get(k) == v for k, v in sel.items()) for w in workloads.values()):
                problems.append(f"{kind}/{name}: selects no pods")
    hpas = by_kind.get("HorizontalPodAutoscaler", {})
    for name in ("chat-gateway", "api-gateway"):
        hpa = hpas.get(name)
        if not hpa:
            problems.append(f"HorizontalPodAutoscaler/{name} missing")
        elif hpa["spec"]["scaleTargetRef"]["name"] not in by_kind.get("Deployment", {}):
            problems.append(f"HorizontalPodAutoscaler/{name}: target missing")
        elif "replicas" in by_kind["Deployment"][name]["spec"]:
            problems.append(f"Deployment/{name}: sets replicas although an autoscaler owns them")
    for service in SERVICES:
        dep = by_kind.get("Deployment", {}).get(service)
        if not dep:
            problems.append(f"Deployment/{service} missing")
            continue
        if service not in by_kind.get("PodDisruptionBudget", {}):
            problems.append(f"PodDisruptionBudget/{service} missing")
        ct = dep["spec"]["template"]["spec"]["containers"][0]
        if ct.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            problems.append(f"Deployment/{service}: liveness must probe /healthz")
        if ct.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            problems.append(f"Deployment/{service}: readiness must probe /readyz")
        if not ct.get("resources", {}).get("requests") or not ct.get("resources", {}).get("limits"):
            problems.append(f"Deployment/{service}: resources requests and limits required")
    nats = by_kind.get("StatefulSet", {}).get("nats")
    if not nats or nats["spec"].get("replicas") != 3 or not nats["spec"].get("volumeClaimTemplates"):
        problems.append("StatefulSet/nats: three replicas with volumeClaimTemplates required")
    # Streams as replicated as the cluster is large: one node lost loses nothing.
    nodes = str(nats["spec"].get("replicas")) if nats else None
    for name, cm in by_kind.get("ConfigMap", {}).items():
        data = cm.get("data") or {}
        if "NATS_URL" in data and str(data.get("NATS_STREAM_REPLICAS")) != nodes:
            problems.append(
                f"ConfigMap/{name}: NATS_STREAM_REPLICAS must be {nodes}, the NATS StatefulSet's replicas"
            )
    c.check(f"{label}: references (Services, ports, Ingress, PDBs, autoscalers, probes, resources)", problems)

    # Each container's environment, run through its binary.
    for name, dep in by_kind.get("Deployment", {}).items():
        for ct in dep["spec"]["template"]["spec"]["containers"]:
            image = ct["image"].rsplit("/", 1)[-1].split(":")[0]
            env, problems = {}, []
            for source in ct.get("envFrom", []):
                ref = source.get("configMapRef", {}).get("name")
                if ref is None:
                    problems.append(f"{name}: envFrom other than a configMapRef")
                elif ref not in configmaps:
                    problems.append(f"{name}: ConfigMap {ref} missing")
                else:
                    for key, value in configmaps[ref].get("data", {}).items():
                        if key in SECRET_VARS:
                            problems.append(f"{name}: {key} comes from ConfigMap {ref}; it belongs in a Secret")
                        env[key] = str(value)
            for item in ct.get("env", []):
                key = item["name"]
                if "value" in item:
                    if key in SECRET_VARS:
                        problems.append(f"{name}: {key} is written in the manifest; it belongs in a Secret")
                    env[key] = str(item["value"])
                elif "secretKeyRef" in item.get("valueFrom", {}):
                    dummy = k8s_dummy_secret(item["valueFrom"]["secretKeyRef"]["key"], image)
                    if dummy is None:
                        problems.append(f"{name}: no dummy value for secret key "
                                        f"{item['valueFrom']['secretKeyRef']['key']} (add its shape to DUMMY_SECRETS)")
                    else:
                        env[key] = dummy
                elif "configMapKeyRef" in item.get("valueFrom", {}):
                    ref = item["valueFrom"]["configMapKeyRef"]
                    if ref["key"] not in configmaps.get(ref["name"], {}).get("data", {}):
                        problems.append(f"{name}: {key} refers to missing {ref['name']}/{ref['key']}")
                    else:
                        env[key] = str(configmaps[ref["name"]]["data"][ref["key"]])
                else:
                    env[key] = "dummy"
            if problems:
                c.fail(f"{label} {name}: environment sources", "\n".join(problems))
            if overlay != "dev" and env.get("LIVE_DEV_AUTH", "false").lower() not in ("false", "0", "no"):
                c.fail(f"{label} {name}: LIVE_DEV_AUTH", "only the dev overlay may enable it")
            if image in SERVICES:
                if ct.get("command") or ct.get("args"):
                    c.fail(f"{label} {name}: command", "the image's entrypoint is the service binary; do not override it")
                check_service_env(c, root, bin_dir, known, f"{label} {name}", image, env)
            elif image == "nginx-rtmp":
                check_nginx(c, root, f"{label} {name}", env)


# --- Prometheus and Grafana -------------------------------------------------

PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "bool", "offset", "rate", "irate", "increase", "delta", "idelta",
    "histogram_quantile", "min_over_time", "max_over_time", "avg_over_time", "sum_over_time",
    "count_over_time", "last_over_time", "absent", "absent_over_time", "abs", "clamp_min",
    "clamp_max", "clamp", "vector", "scalar", "time", "label_replace", "label_join", "resets",
    "changes", "deriv", "predict_linear", "round", "ceil", "floor", "sort", "sort_desc", "le",
}


def code_metrics(root):
    names = set()
    for path in list(root.glob("services/*/src/**/*.rs")) + list(root.glob("crates/*/src/**/*.rs")):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'(?:counter|gauge|histogram)!\(\s*"([a-z_:][a-z0-9_:]*)"', text))
        names |= set(re.findall(r'pub const [A-Z_]+: &str = "(veza_live_[a-z0-9_]+)"', text))
    return names


def expr_metrics(expr):
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)                       # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)                      # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    tokens = set(re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)", expr))
    return {t for t in tokens if t not in PROMQL_WORDS}


def known_metric(name, metrics):
    if name in metrics or name in EXTERNAL_METRICS:
        return True
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    return base in metrics and base.endswith("_seconds")


def check_prometheus(c, root, promtool):
    folder = root / "deploy/prometheus"
    metrics = code_metrics(root)
    if promtool:
        version = subprocess.run([promtool, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        for args, what in ((["check", "rules", "alerts.yml"], "promtool check rules alerts.yml"),
                           (["check", "config", "prometheus.yml"], "promtool check config prometheus.yml")):
            done = subprocess.run([promtool, *args], cwd=folder, capture_output=True, text=True)
            if done.returncode:
                c.fail(what, done.stdout + done.stderr)
            else:
                c.ok(f"{what} ({version.strip()})")
        # Debian's promtool is built without Kubernetes discovery: check the
        # rest of the file with the discovery swapped for static targets.
        k8s = yaml.safe_load((folder / "prometheus-k8s.yml").read_text(encoding="utf-8"))
        for job in k8s.get("scrape_configs", []):
            if job.pop("kubernetes_sd_configs", None) is not None:
                job["static_configs"] = [{"targets": ["127.0.0.1:1"]}]
        with tempfile.TemporaryDirectory(prefix="veza-prom-") as tmp:
            shutil.copy(folder / "alerts.yml", tmp)
            Path(tmp, "prometheus-k8s.yml").write_text(yaml.safe_dump(k8s), encoding="utf-8")
            done = subprocess.run([promtool, "check", "config", "prometheus-k8s.yml"], cwd=tmp,
                                  capture_output=True, text=True)
        if done.returncode:
            c.fail("promtool check config prometheus-k8s.yml", done.stdout + done.stderr)
        else:
            c.ok("promtool check config prometheus-k8s.yml (kubernetes_sd_configs swapped for static "
                 "targets: Debian's promtool has no Kubernetes discovery)")
    else:
        for name in ("alerts.yml", "prometheus.yml", "prometheus-k8s.yml"):
            try:
                yaml.safe_load((folder / name).read_text(encoding="utf-8"))
                c.skip(f"promtool unavailable: {name} only parsed as YAML")
            except yaml.YAMLError as error:
                c.fail(f"{name} parses", error)

    rules = yaml.safe_load((folder / "alerts.yml").read_text(encoding="utf-8"))
    problems, count = [], 0
    for group in rules["groups"]:
        for rule in group["rules"]:
            count += 1
            for name in expr_metrics(rule["expr"]):
                if not known_metric(name, metrics):
                    problems.append(f"{rule.get('alert') or rule.get('record')}: unknown metric {name}")
            if rule.get("alert") and not rule.get("annotations", {}).get("summary"):
                problems.append(f"{rule['alert']}: no summary annotation")
    c.check(f"alerts.yml: {count} rules use only metrics the services or the NATS exporter export", problems)

    try:
        dashboard = json.loads((folder / "grafana-dashboard.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        c.fail("grafana-dashboard.json parses", error)
        return
    problems, count = [], 0
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            count += 1
            for name in expr_metrics(target.get("expr", "")):
                if not known_metric(name, metrics):
                    problems.append(f"panel {panel.get('title')!r}: unknown metric {name}")
    c.check(f"grafana-dashboard.json: {count} queries use only exported metrics", problems)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--bin-dir", type=Path, required=True)
    parser.add_argument("--promtool")
    args = parser.parse_args()
    root = args.root.resolve()
    c = Checker()
    known = known_variables(root)
    check_compose(c, root, args.bin_dir, known)
    for overlay in ("dev", "prod"):
        check_k8s_overlay(c, root, args.bin_dir, known, overlay)
    check_prometheus(c, root, str(Path(args.promtool).resolve()) if args.promtool else None)
    if c.failures:
        print(f"validate-deploy: {c.failures} check(s) failed", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
