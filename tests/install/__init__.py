"""Tests of what users apply: CRDs, controller manifests, RBAC and hardening."""
