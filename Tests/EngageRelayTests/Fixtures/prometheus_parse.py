#!/usr/bin/env python3
"""Parses a Prometheus text exposition with the official `prometheus_client` parser (strict: it raises on any
malformed line) and prints every sample as {"name{label="value",...}": value}, labels sorted."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
        samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
json.dump(samples, sys.stdout)
