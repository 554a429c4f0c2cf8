"""Benchmark harness: each benchmark module writes eval/results/<name>.json and .md."""
