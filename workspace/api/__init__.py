"""Perch's REST/JSON API: read-only, bearer tokens, the same visibility as the workspace."""
