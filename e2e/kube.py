"""A small client for the local API server: REST over HTTPS with a client certificate, and kubectl.

REST is used where the tests need exact bytes and status codes (reading objects back, PUT to /status);
kubectl where its behaviour is the thing being tested (server-side apply, dry runs, kustomize).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from e2e.pki import ClientCert

# Resource paths of the kinds the tests touch: (API prefix, plural, namespaced).
RESOURCES: dict[str, tuple[str, str, bool]] = {
    "Node": ("/api/v1", "nodes", False),
    "Namespace": ("/api/v1", "namespaces", False),
    "Service": ("/api/v1", "services", True),
    "Pod": ("/api/v1", "pods", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "StatefulSet": ("/apis/apps/v1", "statefulsets", True),
    "DaemonSet": ("/apis/apps/v1", "daemonsets", True),
    "CronJob": ("/apis/batch/v1", "cronjobs", True),
    "Job": ("/apis/batch/v1", "jobs", True),
    "ControllerRevision": ("/apis/apps/v1", "controllerrevisions", True),
    "HorizontalPodAutoscaler": ("/apis/autoscaling/v2", "horizontalpodautoscalers", True),
    "EndpointSlice": ("/apis/discovery.k8s.io/v1", "endpointslices", True),
    "Event": ("/api/v1", "events", True),
    "ResourceQuota": ("/api/v1", "resourcequotas", True),
    "DeploymentGrid": ("/apis/superedge.io/v1", "deploymentgrids", True),
    "StatefulSetGrid": ("/apis/superedge.io/v1", "statefulsetgrids", True),
    "DaemonSetGrid": ("/apis/superedge.io/v1", "daemonsetgrids", True),
    "CronJobGrid": ("/apis/superedge.io/v1", "cronjobgrids", True),
    "ConfigMapGrid": ("/apis/superedge.io/v1", "configmapgrids", True),
    "ServiceGrid": ("/apis/superedge.io/v1", "servicegrids", True),
    "NodeGroup": ("/apis/superedge.io/v1", "nodegroups", False),
    "NodeUnit": ("/apis/superedge.io/v1", "nodeunits", False),
    "NodeSummary": ("/apis/superedge.io/v1", "nodesummaries", False),
    "CustomResourceDefinition": ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", False),
}

TOO_MANY_REQUESTS_TRIES = 10


class ApiError(RuntimeError):
    """A non-2xx answer from the API server, with its status code and body."""

    def __init__(self, method: str, path: str, code: int, body: str) -> None:
        super().__init__(f"{method} {path}: HTTP {code}: {body[:2000]}")
        self.code = code
        self.body = body


def path_of(kind: str, namespace: str | None = None, name: str | None = None, subresource: str = "") -> str:
    """The REST path of a collection or object of ``kind``."""
    prefix, plural, namespaced = RESOURCES[kind]
    path = prefix
    if namespaced and namespace:
        path += f"/namespaces/{quote(namespace)}"
    path += f"/{plural}"
    if name:
        path += f"/{quote(name)}"
    if subresource:
        path += f"/{subresource}"
    return path


def selector_string(selector: dict[str, Any] | None) -> str:
    """A LabelSelector as the ``labelSelector`` query string the API server understands."""
    if not selector:
        return ""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "Exists":
            terms.append(key)
        elif op == "DoesNotExist":
            terms.append(f"!{key}")
        else:
            terms.append(f"{key} {op.lower()} ({','.join(values)})")
    return ",".join(terms)


class Kube:
    """REST and kubectl access to one API server as one identity."""

    def __init__(self, server: str, ca: Path, cert: ClientCert, kubeconfig: Path, kubectl: Path) -> None:
        self.server, self.kubeconfig, self.kubectl_path = server, kubeconfig, kubectl
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE or a proxy from the environment must not apply
        self.session.verify = str(ca)
        self.session.cert = (str(cert.cert), str(cert.key))
        self.warnings: list[str] = []  # every Warning header the API server sent (deprecations, ...)

    def request(self, method: str, path: str, body: Any = None, params: dict | None = None, **headers: str) -> Any:
        """One REST call; returns the decoded JSON body, raises ApiError on a non-2xx answer."""
        data = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
        hdrs = {"Content-Type": headers.pop("content_type", "application/json"), "Accept": "application/json"}
        for _ in range(TOO_MANY_REQUESTS_TRIES):  # 429 while a new CRD's storage initialises: retry as client-go does
            response = self.session.request(
                method, self.server + path, data=data, params=params, headers=hdrs, timeout=30
            )
            if response.status_code != 429:
                break
            time.sleep(min(float(response.headers.get("Retry-After") or 1), 5))
        if response.headers.get("Warning"):
            self.warnings.append(f"{method} {path}: {response.headers['Warning']}")
        if not response.ok:
            raise ApiError(method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def get(self, kind: str, namespace: str | None, name: str) -> dict:
        return self.request("GET", path_of(kind, namespace, name))

    def get_or_none(self, kind: str, namespace: str | None, name: str) -> dict | None:
        try:
            return self.get(kind, namespace, name)
        except ApiError as error:
            if error.code == 404:
                return None
            raise

    def list(self, kind: str, namespace: str | None = None, selector: dict | str | None = None) -> list[dict]:
        """Items of ``kind`` (in ``namespace``, or everywhere) matching a LabelSelector or selector string."""
        params = {}
        query = selector if isinstance(selector, str) else selector_string(selector)
        if query:
            params["labelSelector"] = query
        return self.request("GET", path_of(kind, namespace), params=params)["items"]

    def create(self, obj: dict) -> dict:
        meta = obj["metadata"]
        return self.request("POST", path_of(obj["kind"], meta.get("namespace")), obj)

    def put_status(self, obj: dict) -> dict:
        meta = obj["metadata"]
        return self.request("PUT", path_of(obj["kind"], meta.get("namespace"), meta["name"], "status"), obj)

    def merge_patch(self, kind: str, namespace: str | None, name: str, patch: dict) -> dict:
        path = path_of(kind, namespace, name)
        return self.request("PATCH", path, patch, content_type="application/merge-patch+json")

    def delete(self, kind: str, namespace: str | None, name: str, propagation: str = "Background") -> None:
        """Delete an object; a missing one is fine (cleanup must be repeatable)."""
        try:
            body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
            self.request("DELETE", path_of(kind, namespace, name), body)
        except ApiError as error:
            if error.code != 404:
                raise

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this cluster; raises with its stderr when ``check`` and it fails."""
        argv = [str(self.kubectl_path), f"--kubeconfig={self.kubeconfig}", *args]
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed ({done.returncode}):\n{done.stderr}{done.stdout}")
        return done
