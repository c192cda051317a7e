"""Container image references, checked before a child is sent rather than when a kubelet fails to pull.

The API server only refuses images with surrounding whitespace; a malformed reference
(upper-case repository, a space, a bad tag) is otherwise accepted and every pod of
that site then sits in ``InvalidImageName``. The grammar checked here is the one
container runtimes use: ``[host[:port]/]path[:tag][@algorithm:hex]``.
"""

from __future__ import annotations

import re
from functools import lru_cache

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
IMAGE_REFERENCE = re.compile(rf"(?P<name>{_NAME})(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)
NAME_MAX = 255


def image_error(image: object) -> str | None:
    """Why ``image`` is not a usable image reference, or None when it is."""
    if not isinstance(image, str) or not image:
        return f"image must be a non-empty string, got {image!r}"
    return _reference_error(image)


@lru_cache(maxsize=4096)
def _reference_error(image: str) -> str | None:
    """Cached: a fleet uses few distinct images, and every unit's child is checked."""
    match = IMAGE_REFERENCE.fullmatch(image)
    if match is None:
        return f"{image!r} is not a valid image reference ([host[:port]/]name[:tag][@digest], lower-case name)"
    if len(match.group("name")) > NAME_MAX:
        return f"image name of {image!r} is longer than {NAME_MAX} characters"
    return None
