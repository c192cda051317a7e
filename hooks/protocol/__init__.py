"""Metacontroller's v2 messages: request shape checks, declared (partial) reads, JSON bytes in and out.

May import ``hooks.kube`` only.
"""
