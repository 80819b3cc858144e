"""Grading of unknown media: queue, clusters, dual grading, reveals and welfare counters."""
