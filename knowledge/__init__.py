"""mianshi knowledge base: documents -> question items -> Chroma; retrieval. Imports nothing of ours."""
