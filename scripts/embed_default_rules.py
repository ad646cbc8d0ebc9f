#!/usr/bin/env python3
"""Writes rules/default.yaml into Sources/HarborWatch/Rules/Config/DefaultRules.swift (the built-in copy)."""
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
y = (root / "rules/default.yaml").read_text()
out = '''// Generated from rules/default.yaml by scripts/embed_default_rules.py; a test keeps the two equal.

/// The copy of `rules/default.yaml` built into the binary, used when the file is not found.
enum DefaultRules {
    static let yaml = #"""
''' + y + '''\n"""#
}
'''
(root / "Sources/HarborWatch/Rules/Config/DefaultRules.swift").write_text(out)
