"""Cross-cutting pieces: health checks, request ids, logging, the API error contract."""
