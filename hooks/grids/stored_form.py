"""Send lists that Metacontroller replaces whole exactly as the API server stores them.

Metacontroller's default apply (``dynamic-apply``) merges a list item by item only
when every item has one of a few known key fields (``containerPort``, ``port``,
``mountPath``, ``name``, ...); any other list is replaced whole by the hook's
version. If the API server adds fields inside the items of such a list, the
merged object never equals the stored one and Metacontroller sends an update on
every sync (a PUT per child per sync; with ``siteSource: Nodes`` that is per node
heartbeat). So those lists are sent in their stored form here. The analysis of
every list the hooks send is the table in docs/decisions.md ("Lists Metacontroller
replaces whole").

Two such lists get defaults from the API server (Kubernetes' ``SetObjectDefaults_*``):

- ``spec.volumeClaimTemplates`` of a StatefulSet: every item gains ``apiVersion: v1``
  and ``kind: PersistentVolumeClaim`` (apps/v1 conversion), ``spec.volumeMode:
  Filesystem`` and ``status.phase: Pending`` (core/v1 defaults), and Kubernetes
  1.33 and older also return ``metadata.creationTimestamp: null`` (1.34 omits it).
  Because of that last, version-dependent field, and because the API server
  forbids changing claim templates anyway, an existing StatefulSet gets its own
  stored claim templates back (:func:`with_stored_claim_templates`); a new one gets
  the defaulted form, which is what 1.34+ stores.
- ``volumes[].projected.sources`` of a pod template: a ``serviceAccountToken`` source
  gains ``expirationSeconds: 3600`` and a downward API ``fieldRef`` gains
  ``apiVersion: v1``.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.kube.objects import mapping

CLAIM_DEFAULTS = {"apiVersion": "v1", "kind": "PersistentVolumeClaim"}
TOKEN_EXPIRATION_SECONDS = 3600


def in_stored_form(child: dict, pod_path: tuple[str, ...] = ("spec", "template")) -> dict:
    """``child`` with its claim templates and projected volume sources (of the pod template at ``pod_path``)
    as the API server stores them.

    Path copying: only the changed paths are new objects; the input is not modified.
    """
    spec = child.get("spec")
    if not isinstance(spec, dict):
        return child
    out = child
    claims = spec.get("volumeClaimTemplates")
    if isinstance(claims, list):
        out = {**out, "spec": {**spec, "volumeClaimTemplates": [stored_claim_template(c) for c in claims]}}
    return _with_stored_volumes(out, (*pod_path, "spec"))


def _with_stored_volumes(obj: dict, path: tuple[str, ...]) -> dict:
    """``obj`` with the pod spec at ``path`` holding its volumes in stored form (``obj`` itself if unchanged)."""
    head, *rest = path
    below = obj.get(head)
    if not isinstance(below, dict):
        return obj
    if rest:
        new = _with_stored_volumes(below, tuple(rest))
        return obj if new is below else {**obj, head: new}
    volumes = below.get("volumes")
    if not isinstance(volumes, list):
        return obj
    stored = [_stored_volume(v) for v in volumes]
    if all(new is old for new, old in zip(stored, volumes, strict=True)):
        return obj
    return {**obj, head: {**below, "volumes": stored}}


def stored_claim_template(claim: object) -> object:
    """One claim template with the API server's defaults (anything not an object is left to the checks)."""
    if not isinstance(claim, dict):
        return claim
    out = {**CLAIM_DEFAULTS, **claim}
    claim_spec = claim.get("spec")
    if isinstance(claim_spec, dict) and "volumeMode" not in claim_spec:
        out["spec"] = {**claim_spec, "volumeMode": "Filesystem"}
    status = claim.get("status")
    if status is None or (isinstance(status, dict) and not status.get("phase")):
        out["status"] = {**(status or {}), "phase": "Pending"}
    return out


def _stored_volume(volume: object) -> object:
    projected = volume.get("projected") if isinstance(volume, dict) else None
    sources = projected.get("sources") if isinstance(projected, dict) else None
    if not isinstance(sources, list):
        return volume
    stored = [_stored_source(s) for s in sources]
    if all(new is old for new, old in zip(stored, sources, strict=True)):
        return volume
    return {**volume, "projected": {**projected, "sources": stored}}


def _stored_source(source: object) -> object:
    if not isinstance(source, dict):
        return source
    out = source
    token = source.get("serviceAccountToken")
    if isinstance(token, dict) and "expirationSeconds" not in token:
        out = {**out, "serviceAccountToken": {**token, "expirationSeconds": TOKEN_EXPIRATION_SECONDS}}
    downward = source.get("downwardAPI")
    items = downward.get("items") if isinstance(downward, dict) else None
    if isinstance(items, list):
        stored = [_stored_item(i) for i in items]
        if any(new is not old for new, old in zip(stored, items, strict=True)):
            out = {**out, "downwardAPI": {**downward, "items": stored}}
    return out


def _stored_item(item: object) -> object:
    ref = item.get("fieldRef") if isinstance(item, dict) else None
    if isinstance(ref, dict) and "apiVersion" not in ref:
        return {**item, "fieldRef": {"apiVersion": "v1", **ref}}
    return item


def with_stored_claim_templates(child: dict, observed: Mapping | None) -> dict:
    """An existing StatefulSet's own claim templates, sent back as the API server returned them.

    Kubernetes forbids changing ``volumeClaimTemplates`` of a StatefulSet, so the
    stored list is the only one an update can carry; sending it verbatim makes
    Metacontroller's comparison equal on every Kubernetes version (the stored form
    differs between versions). A template that changed them takes effect only for a
    new StatefulSet (delete the old one with ``--cascade=orphan`` to get it).
    """
    stored = mapping(observed, "spec").get("volumeClaimTemplates") if observed is not None else None
    if not isinstance(stored, list) or not stored or not isinstance(child.get("spec"), dict):
        return child
    return {**child, "spec": {**child["spec"], "volumeClaimTemplates": stored}}
