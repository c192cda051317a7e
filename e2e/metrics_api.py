"""A tiny ``external.metrics.k8s.io/v1beta1`` server whose values the test sets, behind the API server.

The real HPA controller (kube-controller-manager's) asks the API server for external metrics; the API
server's aggregation layer forwards those requests to whatever an ``APIService`` names. Here that is this
server, on 127.0.0.1 with TLS (a certificate of the layer's CA for ``<service>.<namespace>.svc``, the name
the aggregator checks), reached through a Service of type ``ExternalName`` pointing at ``localhost``: the
aggregator resolves such a Service to its external name and port, so no kube-proxy, ClusterIP route or
Endpoints (which may not hold a loopback address) is needed.

Values are per metric name and per label selector: an HPA whose external metric selects ``site=alpha``
gets the value set for ``("queue_depth", "site=alpha")``, 0 when none is set. Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from e2e.cluster import LOOPBACK, Cluster, free_port
from e2e.kube import Kube
from e2e.procs import poll

GROUP = "external.metrics.k8s.io"
VERSION = "v1beta1"
GROUP_VERSION = f"{GROUP}/{VERSION}"
SERVICE = "external-metrics"


class ExternalMetrics:
    """The server and the objects that register it with the API server (``install`` / ``uninstall``)."""

    def __init__(self, cluster: Cluster, namespace: str, metrics: tuple[str, ...]) -> None:
        self.namespace = namespace
        self.metrics = metrics
        self.values: dict[tuple[str, str], str] = {}
        self.requests: list[str] = []
        self.port = free_port()
        cert = cluster.pki.serving(f"{SERVICE}-{namespace}", [LOOPBACK], [f"{SERVICE}.{namespace}.svc", "localhost"])
        self.ca_bundle = base64.b64encode(Path(cluster.pki.ca_cert).read_bytes()).decode()
        self._server = ThreadingHTTPServer((LOOPBACK, self.port), self._handler())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert.cert), str(cert.key))
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="external-metrics", daemon=True)

    def set(self, metric: str, selector: str, value: int | str) -> None:
        """What the server answers from now on for ``metric`` with labelSelector ``selector`` (``site=alpha``)."""
        self.values[(metric, selector)] = str(value)

    def start(self) -> ExternalMetrics:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def install(self, kube: Kube, timeout: float = 60) -> None:
        """The ExternalName Service and the APIService; wait until the API server calls it Available."""
        kube.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": SERVICE, "namespace": self.namespace},
                "spec": {"type": "ExternalName", "externalName": "localhost"},
            }
        )
        kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(self.api_service()))
        poll(f"APIService {VERSION}.{GROUP} Available", lambda: self._available(kube), timeout)

    def uninstall(self, kube: Kube) -> None:
        kube.kubectl("delete", "apiservice", f"{VERSION}.{GROUP}", "--ignore-not-found", "--wait=false")

    def api_service(self) -> dict:
        return {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": f"{VERSION}.{GROUP}"},
            "spec": {
                "group": GROUP,
                "version": VERSION,
                "service": {"name": SERVICE, "namespace": self.namespace, "port": self.port},
                "caBundle": self.ca_bundle,
                "groupPriorityMinimum": 100,
                "versionPriority": 100,
            },
        }

    def _available(self, kube: Kube) -> bool:
        done = kube.kubectl("get", "apiservice", f"{VERSION}.{GROUP}", "-o", "json", check=False)
        if done.returncode != 0:
            return False
        conditions = json.loads(done.stdout).get("status", {}).get("conditions") or []
        return any(c.get("type") == "Available" and c.get("status") == "True" for c in conditions)

    # ---- HTTP ----------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                code, body = server.answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

    def answer(self, path: str) -> tuple[int, dict]:
        """Discovery of the group version, or one metric's values; 404 for anything else."""
        url = urlparse(path)
        prefix = f"/apis/{GROUP_VERSION}"
        if url.path.rstrip("/") == prefix:
            return 200, self._resources()
        parts = url.path[len(prefix) :].strip("/").split("/") if url.path.startswith(prefix + "/") else []
        if len(parts) == 3 and parts[0] == "namespaces" and parts[2] in self.metrics:
            selector = parse_qs(url.query).get("labelSelector", [""])[0]
            return 200, self._values(parts[2], selector)
        return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404, "reason": "NotFound"}

    def _resources(self) -> dict:
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": GROUP_VERSION,
            "resources": [
                {"name": m, "singularName": "", "namespaced": True, "kind": "ExternalMetricValueList", "verbs": ["get"]}
                for m in self.metrics
            ],
        }

    def _values(self, metric: str, selector: str) -> dict:
        labels = dict(term.split("=", 1) for term in selector.split(",") if "=" in term)
        item = {
            "metricName": metric,
            "metricLabels": labels,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "value": self.values.get((metric, selector), "0"),
        }
        return {"kind": "ExternalMetricValueList", "apiVersion": GROUP_VERSION, "metadata": {}, "items": [item]}
