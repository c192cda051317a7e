"""Real-cluster test layer: a local control plane, kwok, the hook server and (optionally) Metacontroller."""
