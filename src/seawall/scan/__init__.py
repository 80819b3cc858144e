"""The scan pipeline: evidence -> hashing -> store, in parallel, resumable."""
