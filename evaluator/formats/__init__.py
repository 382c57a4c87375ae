"""File formats, looked up by name.

Each module registers one :class:`~evaluator.formats.base.Format` with :func:`register`. Use
:func:`get_format` by name, or :func:`detect_format` from a path.
"""
from evaluator.formats.base import (Format, ReadOptions, detect_format, get_format, list_formats, parse_label_map,
                                    register)

__all__ = ["Format", "ReadOptions", "detect_format", "get_format", "list_formats", "parse_label_map", "register"]
