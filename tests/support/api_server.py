"""What the API server stores for a workload child: the defaults that land inside lists Metacontroller replaces.

Each default is taken from Kubernetes' own defaulting code (v1.36.3 unless noted), named next to it. Only
what matters for Metacontroller's comparison is modelled; defaults in maps and in lists merged by key are
kept by its three-way merge anyway, and a few are added here to show that.
"""

from __future__ import annotations

import copy

NOW = "2026-01-01T00:00:00Z"


def stored_workload(desired: dict, kubernetes: tuple[int, int] = (1, 36)) -> dict:
    """``desired`` as a kube-apiserver of version ``kubernetes`` returns it after a create."""
    live = copy.deepcopy(desired)
    live["metadata"].update(uid="u-1", resourceVersion="11", generation=1, creationTimestamp=NOW)
    spec = live["spec"]
    spec.setdefault("revisionHistoryLimit", 10)  # pkg/apis/apps/v1/defaults.go SetDefaults_{Deployment,StatefulSet}
    pod_spec = spec["template"]["spec"]
    pod_spec.setdefault("restartPolicy", "Always")  # core/v1 SetDefaults_PodSpec
    for container in pod_spec["containers"]:
        container.setdefault("terminationMessagePath", "/dev/termination-log")  # SetDefaults_Container
        container.setdefault("imagePullPolicy", "IfNotPresent")
        for port in container.get("ports", []):
            port.setdefault("protocol", "TCP")  # SetDefaults_ContainerPort (merged by containerPort: kept)
        for var in container.get("env", []):
            ref = var.get("valueFrom", {}).get("fieldRef")
            if ref is not None:
                ref.setdefault("apiVersion", "v1")  # SetDefaults_ObjectFieldSelector (env merged by name: kept)
    for volume in pod_spec.get("volumes", []):
        if "configMap" in volume:
            volume["configMap"].setdefault("defaultMode", 420)  # SetDefaults_ConfigMapVolumeSource
        projected = volume.get("projected")
        if projected is not None:
            projected.setdefault("defaultMode", 420)  # SetDefaults_ProjectedVolumeSource
            for source in projected.get("sources", []):
                if "serviceAccountToken" in source:  # SetDefaults_ServiceAccountTokenProjection
                    source["serviceAccountToken"].setdefault("expirationSeconds", 3600)
                for item in source.get("downwardAPI", {}).get("items", []):
                    if "fieldRef" in item:
                        item["fieldRef"].setdefault("apiVersion", "v1")  # SetDefaults_ObjectFieldSelector
    for claim in spec.get("volumeClaimTemplates", []):
        claim["apiVersion"], claim["kind"] = "v1", "PersistentVolumeClaim"  # apps/v1 conversion.go
        claim["spec"].setdefault("volumeMode", "Filesystem")  # SetDefaults_PersistentVolumeClaimSpec
        claim.setdefault("status", {}).setdefault("phase", "Pending")  # SetDefaults_PersistentVolumeClaim
        if kubernetes <= (1, 33):  # ObjectMeta.creationTimestamp gained `omitzero` in apimachinery v0.34
            claim["metadata"]["creationTimestamp"] = None
    live["status"] = {"observedGeneration": 1, "replicas": spec.get("replicas", 1)}
    return live
