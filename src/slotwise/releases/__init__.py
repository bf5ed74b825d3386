"""Releases at run time: what approvers (and authors) do with releases once definitions exist."""
