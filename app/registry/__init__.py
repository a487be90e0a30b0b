"""The registry: gap-free numbering, the signed hash-chained journal of records, verification."""
