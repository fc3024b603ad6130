"""Ingestion: wire copy, HTML article pages and RSS/Atom feeds into the newsroom.

sources (fetch and sniff) -> wire | html | feeds (parse to ArticleData) -> pipeline (store).
The `ingest` management command drives it.
"""
