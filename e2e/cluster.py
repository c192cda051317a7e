"""Launcher: a throwaway control plane on 127.0.0.1 with the project installed.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake kubelets) from the binaries
e2e/build.sh puts in the cache, the hook server under gunicorn (``servicegroup serve``) and, on request,
Metacontroller. Every component logs to ``<workdir>/logs``; every process is stopped on exit, including
on errors, KeyboardInterrupt and SIGTERM. Manual use::

    python -m e2e.cluster up [--metacontroller]      # prints KUBECONFIG, runs until Ctrl-C
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from e2e.kube import Kube
from e2e.manifests import CONTROLLERS, is_controller, is_hook_server_object, load_docs, with_local_hooks
from e2e.pki import ClientCert, Pki
from e2e.procs import Proc, poll

LOOPBACK = "127.0.0.1"
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
METACONTROLLER_USER = "metacontroller"
PEER_USER = "application-grid-controller"
"""The identity of the fleet benchmark's peer, SuperEdge's controller (``e2e/peer.py``), audited as Metacontroller."""
CONTROLLER_USERS = (METACONTROLLER_USER, PEER_USER)
KWOK_GROUP_LABEL = "e2e.servicegroup.io/kwok"
"""Nodes carrying this label are managed by the kwok process of their group (``Cluster.start_kwok_group``), not
by the layer's kwok: stopping that process lets their heartbeats and leases lapse, and the node lifecycle
controller marks them not Ready after its grace period (a site going offline); starting it again brings them
back. (Relabelling a node out of a running kwok's selection is not enough: kwok v0.8.0 never hears that the
node left, and may renew its lease and make it Ready again.)"""
GROUP_POD_CIDR = "10.246.0.0/16"
START_TIMEOUT = 90.0
HPA_SYNC_SECONDS = 3

_LOCAL = requests.Session()
_LOCAL.trust_env = False  # loopback only: no proxy, no CA bundle from the environment


def cache_dir() -> Path:
    return Path(os.environ.get("SERVICEGROUP_E2E_CACHE") or Path.home() / ".cache" / "servicegroup-e2e")


def find_metacontroller() -> Path | None:
    """The Metacontroller binary: $SERVICEGROUP_METACONTROLLER, else the cache's bin/metacontroller, if present."""
    given = os.environ.get("SERVICEGROUP_METACONTROLLER")
    if given:
        return Path(given) if Path(given).is_file() else None
    default = cache_dir() / "bin" / "metacontroller"
    return default if default.is_file() else None


def find_metacontroller_crds() -> Path | None:
    """Metacontroller's CRDs (its manifests/production/metacontroller-crds-v1.yaml), needed for controllers.

    $SERVICEGROUP_METACONTROLLER_CRDS, else ``metacontroller-crds-v1.yaml`` in the cache. Like the binary they
    come from Metacontroller's own source and are never committed here.
    """
    given = os.environ.get("SERVICEGROUP_METACONTROLLER_CRDS")
    path = Path(given) if given else cache_dir() / "metacontroller-crds-v1.yaml"
    return path if path.is_file() else None


KUBE_VERSION_VARIABLE = "SERVICEGROUP_E2E_KUBE_VERSION"
KUBE_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")

_POD_READY_AGAIN_STATUS = """conditions:
- {type: PodScheduled, status: "True", lastTransitionTime: {{ Now | Quote }}}
- {type: Initialized, status: "True", lastTransitionTime: {{ Now | Quote }}}
- {type: ContainersReady, status: "True", lastTransitionTime: {{ Now | Quote }}}
- {type: Ready, status: "True", lastTransitionTime: {{ Now | Quote }}}
"""
POD_READY_AGAIN = {
    "apiVersion": "kwok.x-k8s.io/v1alpha1",
    "kind": "Stage",
    "metadata": {"name": "pod-ready-again"},
    "spec": {
        "resourceRef": {"apiGroup": "v1", "kind": "Pod"},
        "selector": {
            "matchExpressions": [
                {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
                {"key": ".status.phase", "operator": "In", "values": ["Running"]},
                {"key": '.status.conditions.[] | select( .type == "Ready" ) | .status', "operator": "NotIn",
                 "values": ["True"]},
            ]
        },
        "next": {"statusTemplate": _POD_READY_AGAIN_STATUS},
    },
}  # fmt: skip
"""A running pod that is not Ready becomes Ready again, as a kubelet reports it once its node is back.

The node lifecycle controller marks the pods of a node it finds not Ready as not Ready, also a pod made Ready
just after the node came back (before the controller saw it back); kwok's own pod-ready stage only handles
pending pods, so such a pod would stay not Ready for good and its Deployment unavailable."""
BUILD_SCRIPT = Path(__file__).resolve().parent / "build.sh"


def kube_version() -> str:
    """The Kubernetes version the layer runs: $SERVICEGROUP_E2E_KUBE_VERSION, else the one build.sh pins."""
    pinned = re.search(r"^KUBE_VERSION=(\S+)$", BUILD_SCRIPT.read_text(), flags=re.MULTILINE)
    return os.environ.get(KUBE_VERSION_VARIABLE) or (pinned.group(1) if pinned else "unknown")


def kube_bin_dir() -> Path:
    """Where the control plane's binaries are: ``<cache>/bin`` for the pinned version, ``<cache>/kube-<version>/bin``
    for another one (e2e/build.sh builds the oldest supported there)."""
    version = os.environ.get(KUBE_VERSION_VARIABLE)
    return cache_dir() / f"kube-{version}" / "bin" if version else cache_dir() / "bin"


def missing_binaries() -> list[str]:
    found = [cache_dir() / "bin" / n for n in ("etcd", "kwok")] + [kube_bin_dir() / n for n in KUBE_BINARIES]
    return [str(path) for path in found if not path.is_file()]


def free_port() -> int:
    """A loopback TCP port that is free now (the component binds it right after; good enough on one host)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def servicegroup_command() -> str:
    """The ``servicegroup`` console script of the running interpreter's environment (or PATH)."""
    beside = Path(sys.executable).parent / "servicegroup"
    found = str(beside) if beside.is_file() else shutil.which("servicegroup")
    if not found:
        raise RuntimeError("the servicegroup command is not installed: pip install -e . (see README)")
    return found


@dataclass
class Options:
    """What the launcher starts and how; every field has an environment variable (see e2e/README.md)."""

    heartbeat_seconds: float = field(default_factory=lambda: float(os.environ.get("SERVICEGROUP_E2E_HEARTBEAT", "5")))
    node_grace_seconds: int = field(default_factory=lambda: int(os.environ.get("SERVICEGROUP_E2E_NODE_GRACE", "20")))
    hook_workers: int = 2
    mc_qps: float = field(default_factory=lambda: float(os.environ.get("SERVICEGROUP_E2E_MC_QPS", "5")))
    mc_burst: int = field(default_factory=lambda: int(os.environ.get("SERVICEGROUP_E2E_MC_BURST", "10")))
    mc_workers: int = field(default_factory=lambda: int(os.environ.get("SERVICEGROUP_E2E_MC_WORKERS", "5")))
    mc_args: tuple[str, ...] = ()  # more Metacontroller flags (the fleet benchmark: --pprof-address, --apply-strategy)
    heartbeat_spread: bool = False  # each post's delay drawn anew around heartbeat_seconds (heartbeat_delay)


def heartbeat_delay(seconds: float, spread: bool) -> dict[str, int]:
    """kwok's delay for the heartbeat stage: drawn from [duration, jitter), exactly duration when they are equal.

    Spread, the mean stays ``seconds`` but each post's delay is drawn anew, so Nodes created together drift apart
    within one interval (their first posts already cover a whole interval).
    """
    ms = int(seconds * 1000)
    if spread:
        return {"durationMilliseconds": ms // 2, "jitterDurationMilliseconds": ms * 3 // 2}
    return {"durationMilliseconds": ms, "jitterDurationMilliseconds": ms}


class Cluster:
    """One local cluster. ``start()`` brings everything up and installs the project; ``stop()`` ends it all."""

    def __init__(self, options: Options | None = None, workdir: Path | None = None) -> None:
        self.options = options or Options()
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="servicegroup-e2e-"))
        self.logs = self.dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.bin = cache_dir() / "bin"
        self.kube_bin = kube_bin_dir()  # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
        self.procs: dict[str, Proc] = {}
        self.ports: dict[str, int] = {}
        self.audit_log = self.logs / "audit.jsonl"
        self.hook_log = self.logs / "hooks.log"
        self.metacontroller_binary = find_metacontroller()
        self.metacontroller_crds = find_metacontroller_crds()
        self.started_at = time.monotonic()

    # ---- public surface used by tests -------------------------------------------------------------

    @property
    def server(self) -> str:
        return f"https://{LOOPBACK}:{self.ports['apiserver']}"

    @property
    def hook_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports['hooks']}"

    @property
    def kubeconfig(self) -> Path:
        return self.dir / "admin.kubeconfig"

    def start(self, metacontroller: bool = False) -> Cluster:
        """Start every component in order, waiting for each; on any failure stop what was started."""
        missing = missing_binaries()
        if missing:
            raise RuntimeError(f"missing binaries: {', '.join(missing)}; run: bash e2e/build.sh")
        try:
            self.start_control_plane()
            self.start_hooks()
            self.install()
            if metacontroller:
                self.start_metacontroller()
        except BaseException:
            self.stop()
            raise
        return self

    def start_control_plane(self) -> None:
        """etcd, the API server, controller manager, scheduler and kwok; nothing of the project installed."""
        self._make_pki()
        self._start_etcd()
        self._start_apiserver()
        self._start_controller_manager()
        self._start_scheduler()
        self._start_kwok()

    def stop(self) -> None:
        """Stop every process this launcher started, newest first."""
        for name in reversed(list(self.procs)):
            self.procs[name].stop()

    def cleanup(self, keep: bool) -> None:
        """Delete the working folder, or keep it (logs of a failed run) and say where it is."""
        if keep:
            print(f"\nservicegroup-e2e: logs kept in {self.logs}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def start_hooks(
        self, argv: list[str] | None = None, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        """Start (or restart, on the same port) the hook server under gunicorn and wait for /healthz.

        ``argv``/``env``/``cwd`` start another hook server on the port instead (the upgrade test runs the
        previous release's); by default this checkout's ``servicegroup serve``.
        """
        port = self.ports.setdefault("hooks", free_port())
        argv = argv or [
            servicegroup_command(), "serve", "--bind", f"{LOOPBACK}:{port}",
            "--workers", str(self.options.hook_workers), "--log-level", "info",
        ]  # fmt: skip
        env = env or {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        proc = self._spawn("hooks", argv, env=env, log=self.hook_log, cwd=cwd)
        poll("the hook server's /healthz", lambda: proc.check_alive() and self._http_ok(f"{self.hook_url}/healthz"), 60)

    def stop_hooks(self) -> None:
        self.procs["hooks"].stop()

    def start_metacontroller(self) -> None:
        """Start Metacontroller as its own identity (the audit log tells its writes apart), wait for /readyz."""
        if not self.metacontroller_binary or not self.metacontroller_crds:
            raise RuntimeError("no Metacontroller binary or CRDs (see e2e/README.md)")
        port = self.ports.setdefault("metacontroller-health", free_port())
        o = self.options
        argv = [
            str(self.metacontroller_binary),
            f"--kubeconfig={self._kubeconfig_for(METACONTROLLER_USER)}",
            "--metrics-address=0",  # default :9999 would listen on every interface
            f"--health-probe-bind-address={LOOPBACK}:{port}",
            f"--client-go-qps={o.mc_qps}",
            f"--client-go-burst={o.mc_burst}",
            f"--workers={o.mc_workers}",
            "--discovery-interval=5s",
            *o.mc_args,
        ]
        proc = self._spawn("metacontroller", argv)
        poll(
            "Metacontroller's /readyz",
            lambda: proc.check_alive() and self._http_ok(f"http://{LOOPBACK}:{port}/readyz"),
            60,
        )

    def stop_metacontroller(self) -> None:
        if "metacontroller" in self.procs:
            self.procs["metacontroller"].stop()

    def start_extra(self, name: str, argv: list[str]) -> Proc:
        """Start another process under this launcher: it logs to ``logs/<name>.log`` and stops with the rest."""
        return self._spawn(name, argv)

    def kube(self, user: str = "e2e-admin") -> Kube:
        """A client for the API server as ``user`` (every identity is in system:masters)."""
        return Kube(
            self.server,
            self.pki.ca_cert,
            self._client_cert(user),
            self._kubeconfig_for(user),
            self.kube_bin / "kubectl",
        )

    def failed_components(self) -> list[str]:
        """Names of started components that have exited on their own (a crash explains a failed test)."""
        return [name for name, proc in self.procs.items() if proc.popen is not None and not proc.alive()]

    # ---- components --------------------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        log: Path | None = None,
        cwd: Path | None = None,
    ) -> Proc:
        proc = Proc(name, argv, log or self.logs / f"{name}.log", env=env, cwd=cwd)
        self.procs[name] = proc
        return proc.start()

    def _make_pki(self) -> None:
        self.pki = Pki(self.dir / "pki")
        self.serving = self.pki.serving(
            "kube-apiserver", [LOOPBACK, "10.96.0.1"], ["localhost", "kubernetes.default.svc"]
        )
        self.sa_private, self.sa_public = self.pki.service_account_keys()
        self._certs: dict[str, ClientCert] = {}

    def _client_cert(self, user: str) -> ClientCert:
        if user not in self._certs:
            self._certs[user] = self.pki.client(user, ["system:masters"])
        return self._certs[user]

    def _kubeconfig_for(self, user: str) -> Path:
        """A kubeconfig file for ``user`` (admin.kubeconfig for the default user)."""
        name = "admin" if user == "e2e-admin" else user.replace(":", "-")
        path = self.dir / f"{name}.kubeconfig"
        if not path.exists():
            cert = self._client_cert(user)
            config = {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "e2e", "cluster": {"server": self.server, "certificate-authority": str(self.pki.ca_cert)}}
                ],
                "users": [{"name": user, "user": {"client-certificate": str(cert.cert), "client-key": str(cert.key)}}],
                "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": user}}],
                "current-context": "e2e",
            }
            path.write_text(yaml.safe_dump(config))
        return path

    def _start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.ports["etcd"] = client
        argv = [
            str(self.bin / "etcd"), "--name=e2e", f"--data-dir={self.dir / 'etcd'}",
            f"--listen-client-urls=http://{LOOPBACK}:{client}", f"--advertise-client-urls=http://{LOOPBACK}:{client}",
            f"--listen-peer-urls=http://{LOOPBACK}:{peer}", f"--initial-advertise-peer-urls=http://{LOOPBACK}:{peer}",
            f"--initial-cluster=e2e=http://{LOOPBACK}:{peer}",
            "--unsafe-no-fsync",  # a throwaway cluster: durability costs seconds on a 2-core machine
            "--log-level=warn",
        ]  # fmt: skip
        proc = self._spawn("etcd", argv)
        url = f"http://{LOOPBACK}:{client}/health"
        poll(
            "etcd /health", lambda: proc.check_alive() and _LOCAL.get(url, timeout=2).json().get("health") == "true", 30
        )

    def _write_audit_policy(self) -> Path:
        """Audit only writes by Metacontroller (and the fleet benchmark's peer), and writes of workloads' scale:
        how the scenarios count child updates and see who set ``replicas``.

        A write the API server turns into a no-op (same object) keeps the resourceVersion, so watching
        resourceVersions would miss exactly the useless PUTs the scenarios must catch; the audit log records
        every request. Metacontroller's writes of Deployments and StatefulSets, and every write of their
        ``scale`` subresource (an HPA's), are recorded with request and response bodies: the autoscaling
        scenario replays each object's ``spec.replicas`` from them.
        """
        workloads = {"group": "apps", "resources": ["deployments", "statefulsets"]}
        scales = {"group": "apps", "resources": ["deployments/scale", "statefulsets/scale"]}
        policy = {
            "apiVersion": "audit.k8s.io/v1",
            "kind": "Policy",
            "omitStages": ["RequestReceived", "ResponseStarted"],
            "rules": [
                {
                    "level": "RequestResponse",
                    "users": list(CONTROLLER_USERS),
                    "verbs": ["create", "update", "patch"],
                    "resources": [workloads],
                    "omitManagedFields": True,
                },
                {
                    "level": "RequestResponse",
                    "verbs": ["update", "patch"],
                    "resources": [scales],
                    "omitManagedFields": True,
                },
                {
                    "level": "Metadata",
                    "users": list(CONTROLLER_USERS),
                    "verbs": ["create", "update", "patch", "delete", "deletecollection"],
                },
                {"level": "None"},
            ],
        }
        path = self.dir / "audit-policy.yaml"
        path.write_text(yaml.safe_dump(policy))
        return path

    def _start_apiserver(self) -> None:
        port = self.ports["apiserver"] = free_port()
        argv = [
            str(self.kube_bin / "kube-apiserver"),
            f"--etcd-servers=http://{LOOPBACK}:{self.ports['etcd']}",
            f"--bind-address={LOOPBACK}", f"--advertise-address={LOOPBACK}", f"--secure-port={port}",
            f"--cert-dir={self.dir / 'apiserver-certs'}",
            f"--tls-cert-file={self.serving.cert}", f"--tls-private-key-file={self.serving.key}",
            f"--client-ca-file={self.pki.ca_cert}",
            f"--service-account-key-file={self.sa_public}", f"--service-account-signing-key-file={self.sa_private}",
            "--service-account-issuer=https://kubernetes.default.svc",
            "--authorization-mode=RBAC", f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--audit-policy-file={self._write_audit_policy()}", f"--audit-log-path={self.audit_log}",
            "--audit-log-format=json", "--audit-log-mode=blocking", "--audit-log-maxsize=0",
            "--profiling=false",
            # The API server would publish 127.0.0.1 as the kubernetes Service's endpoint, which the API
            # refuses (loopback) every 10 s; nothing here calls the API through that Service.
            "--endpoint-reconciler-type=none",
        ]  # fmt: skip
        proc = self._spawn("kube-apiserver", argv)
        admin = self.kube()
        poll(
            "kube-apiserver /readyz",
            lambda: proc.check_alive() and admin.session.get(f"{self.server}/readyz", timeout=5).ok,
            START_TIMEOUT,
        )

    def _start_controller_manager(self) -> None:
        port = self.ports["kube-controller-manager"] = free_port()
        argv = [
            str(self.kube_bin / "kube-controller-manager"),
            f"--kubeconfig={self._kubeconfig_for('system:kube-controller-manager')}",
            f"--bind-address={LOOPBACK}", f"--secure-port={port}", *self._serving_flags(),
            f"--service-account-private-key-file={self.sa_private}", f"--root-ca-file={self.pki.ca_cert}",
            f"--cluster-cidr={POD_CIDR}", f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--leader-elect=false", "--kube-api-qps=100", "--kube-api-burst=200", "--profiling=false",
            f"--node-monitor-grace-period={self.options.node_grace_seconds}s",
            # The HPA controller runs (every controller does by default); a short period makes the autoscaling
            # scenario quick. External metrics reach it through the API server's aggregation layer.
            f"--horizontal-pod-autoscaler-sync-period={HPA_SYNC_SECONDS}s",
        ]  # fmt: skip
        proc = self._spawn("kube-controller-manager", argv)
        self._wait_healthz("kube-controller-manager", proc, port)
        # Controllers really run once the service-account controller has made the default ServiceAccount.
        admin = self.kube()
        poll(
            "the default ServiceAccount (kube-controller-manager's controllers running)",
            lambda: proc.check_alive() and admin.request("GET", "/api/v1/namespaces/default/serviceaccounts/default"),
            START_TIMEOUT,
        )

    def _start_scheduler(self) -> None:
        port = self.ports["kube-scheduler"] = free_port()
        argv = [
            str(self.kube_bin / "kube-scheduler"),
            f"--kubeconfig={self._kubeconfig_for('system:kube-scheduler')}",
            f"--bind-address={LOOPBACK}", f"--secure-port={port}", *self._serving_flags(),
            "--leader-elect=false", "--profiling=false",
        ]  # fmt: skip
        proc = self._spawn("kube-scheduler", argv)
        self._wait_healthz("kube-scheduler", proc, port)

    def _serving_flags(self) -> list[str]:
        """Serve with the CA-signed 127.0.0.1 certificate, so health checks verify it."""
        return [f"--tls-cert-file={self.serving.cert}", f"--tls-private-key-file={self.serving.key}"]

    def _wait_healthz(self, name: str, proc: Proc, port: int) -> None:
        """Poll a component's /healthz (always allowed anonymously)."""
        url = f"https://{LOOPBACK}:{port}/healthz"
        poll(
            f"{name} /healthz",
            lambda: proc.check_alive() and self._http_ok(url, verify=str(self.pki.ca_cert)),
            START_TIMEOUT,
        )

    def _write_kwok_stages(self) -> Path:
        """kwok's shipped stages (node initialize and heartbeat, pod ready/complete/delete) in one file, and
        one of ours (:data:`POD_READY_AGAIN`).

        The heartbeat stage's delay is set to ``heartbeat_seconds`` (shipped: 20-45 s) so the scenarios
        see node status updates often.
        """
        stages = cache_dir() / "kwok-stages"
        files = [
            "node/fast/node-initialize.yaml", "node/heartbeat/node-heartbeat.yaml",
            "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml",
        ]  # fmt: skip
        docs = []
        for name in files:
            doc = yaml.safe_load((stages / name).read_text())
            if doc["metadata"]["name"] == "node-heartbeat":
                doc["spec"]["delay"] = heartbeat_delay(self.options.heartbeat_seconds, self.options.heartbeat_spread)
            docs.append(doc)
        docs.append(POD_READY_AGAIN)
        path = self.dir / "kwok-stages.yaml"
        path.write_text(yaml.safe_dump_all(docs))
        return path

    def _start_kwok(self, name: str = "kwok", selector: str = f"!{KWOK_GROUP_LABEL}", cidr: str = POD_CIDR) -> None:
        port = self.ports[name] = free_port()
        argv = [
            str(self.bin / "kwok"), f"--kubeconfig={self._kubeconfig_for('kwok')}",
            f"--config={self._write_kwok_stages()}", f"--manage-nodes-with-label-selector={selector}",
            f"--cidr={cidr}", f"--server-address={LOOPBACK}:{port}",
        ]  # fmt: skip
        env = {**os.environ, "HOME": str(self.dir)}  # no ~/.kwok/kwok.yaml of the user's is read
        proc = self._spawn(name, argv, env=env)
        poll(f"{name} /healthz", lambda: proc.check_alive() and self._http_ok(f"http://{LOOPBACK}:{port}/healthz"), 60)

    def start_kwok_group(self, group: str) -> None:
        """A kwok of its own for the nodes labelled ``KWOK_GROUP_LABEL: group`` (started again after a stop)."""
        self._start_kwok(f"kwok-{group}", f"{KWOK_GROUP_LABEL}={group}", GROUP_POD_CIDR)

    def stop_kwok_group(self, group: str) -> None:
        """Stop the group's kwok (if it runs): its nodes' heartbeats and lease renewals stop."""
        if f"kwok-{group}" in self.procs:
            self.procs[f"kwok-{group}"].stop()

    def install(self) -> None:
        """Apply crds/ and the controllers of metacontroller/ (hooks pointed here), wait for the CRDs (again after
        an uninstall: the lifecycle test reinstalls with it)."""
        kube = self.kube()
        kube.kubectl("apply", "--server-side", "-k", str(CONTROLLERS.parent / "crds"))
        if self.metacontroller_crds:
            kube.kubectl("apply", "--server-side", "-f", str(self.metacontroller_crds))
        kube.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
        docs = load_docs(kube.kubectl("kustomize", str(CONTROLLERS)).stdout)
        wanted = []
        for doc in docs:
            if doc["kind"] == "CustomResourceDefinition" or is_hook_server_object(doc):
                continue
            if is_controller(doc):
                if not self.metacontroller_crds:
                    continue  # without Metacontroller's CRDs the API server has no such kind
                doc = with_local_hooks(doc, self.hook_url)
            wanted.append(doc)
        kube.kubectl("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump_all(wanted))

    @staticmethod
    def _http_ok(url: str, verify: bool | str = True) -> bool:
        with contextlib.suppress(requests.RequestException):
            return _LOCAL.get(url, timeout=2, verify=verify).ok
        return False


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so ``finally`` blocks (process cleanup) run on ``kill``."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """``python -m e2e.cluster up``: start a cluster for manual use and keep it until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m e2e.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up"])
    parser.add_argument("--metacontroller", action="store_true", help="also start Metacontroller")
    parser.add_argument("--heartbeat-seconds", type=float, default=Options().heartbeat_seconds)
    args = parser.parse_args(argv)
    cluster = Cluster(Options(heartbeat_seconds=args.heartbeat_seconds))
    with sigterm_as_interrupt():
        try:
            cluster.start(metacontroller=args.metacontroller)
            took = time.monotonic() - cluster.started_at
            print(
                f"cluster up in {took:.1f} s\nexport KUBECONFIG={cluster.kubeconfig}\nhook server: {cluster.hook_url}"
            )
            print(f"logs: {cluster.logs}\nCtrl-C to stop.", flush=True)
            while not cluster.failed_components():
                time.sleep(1)
            print(f"exited on their own: {cluster.failed_components()}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            cluster.stop()
            cluster.cleanup(keep=True)


if __name__ == "__main__":
    sys.exit(main())
