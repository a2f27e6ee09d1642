"""The certificate reader: documents in, contract-shaped extractions out."""
