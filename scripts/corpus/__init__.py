"""Generator of the labelled certificate corpus (see scripts/make_corpus.py)."""
