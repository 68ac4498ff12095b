"""The one file-digest helper: the archive, verify and packs hash the same way.

Two digests are kept for every file: SHA-256 (FIPS 180-4) and SM3 (GB/T
32905-2016, the digest Chinese e-records standards call for). SM3 comes from
OpenSSL through hashlib where OpenSSL provides it (OpenSSL 1.1.1 and 3.x
builds usually do); elsewhere from the pure-Python implementation below,
chosen automatically (`sm3_backend()` says which one is in use).
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import NamedTuple

CHUNK = 1 << 20


# ---- SM3, GB/T 32905-2016 ------------------------------------------------------------
# Written from the standard's description: clause 4 (initial value IV, constants
# T_j, boolean functions FF_j/GG_j, permutations P0/P1), clause 5.2 (padding),
# 5.3.2 (message expansion) and 5.3.3 (compression function CF).

_MASK = 0xFFFFFFFF
_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600,
       0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


# T_j <<< (j mod 32), as the compression function uses it: T_j is 79cc4519 for
# rounds 0-15 and 7a879d8a for rounds 16-63.
_T_ROT = tuple(_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64))


def _compress(v: tuple, block: bytes) -> tuple:
    """CF(V, B): one 512-bit block into the 256-bit chaining value V."""
    w = list(struct.unpack(">16I", block))
    for j in range(16, 68):
        x = w[j - 16] ^ w[j - 9] ^ (((w[j - 3] << 15) | (w[j - 3] >> 17)) & _MASK)
        p1 = x ^ (((x << 15) | (x >> 17)) & _MASK) ^ (((x << 23) | (x >> 9)) & _MASK)
        w.append(p1 ^ (((w[j - 13] << 7) | (w[j - 13] >> 25)) & _MASK) ^ w[j - 6])
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        a12 = ((a << 12) | (a >> 20)) & _MASK
        ss1 = (a12 + e + _T_ROT[j]) & _MASK
        ss1 = ((ss1 << 7) | (ss1 >> 25)) & _MASK
        ss2 = ss1 ^ a12
        if j < 16:
            ff = a ^ b ^ c
            gg = e ^ f ^ g
        else:
            ff = (a & b) | (a & c) | (b & c)
            gg = (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) & _MASK
        tt2 = (gg + h + ss1 + w[j]) & _MASK
        d = c
        c = ((b << 9) | (b >> 23)) & _MASK
        b = a
        a = tt1
        h = g
        g = ((f << 19) | (f >> 13)) & _MASK
        f = e
        e = tt2 ^ (((tt2 << 9) | (tt2 >> 23)) & _MASK) ^ (((tt2 << 17) | (tt2 >> 15)) & _MASK)
    return (a ^ v[0], b ^ v[1], c ^ v[2], d ^ v[3], e ^ v[4], f ^ v[5], g ^ v[6], h ^ v[7])


class PureSM3:
    """SM3 in pure Python, with hashlib's interface (update, digest, hexdigest, copy).
    Some 500 times slower than OpenSSL's (under 1 MB/s): used only where OpenSSL has no SM3."""

    name = "sm3"
    digest_size = 32
    block_size = 64

    def __init__(self, data: bytes = b""):
        self._v = _IV
        self._buffer = b""
        self._length = 0  # bytes hashed so far
        if data:
            self.update(data)

    def update(self, data) -> None:
        data = bytes(data)
        self._length += len(data)
        buffer = self._buffer + data if self._buffer else data
        full = len(buffer) - len(buffer) % 64
        v = self._v
        for start in range(0, full, 64):
            v = _compress(v, buffer[start:start + 64])
        self._v = v
        self._buffer = buffer[full:]

    def copy(self) -> "PureSM3":
        other = PureSM3()
        other._v, other._buffer, other._length = self._v, self._buffer, self._length
        return other

    def digest(self) -> bytes:
        # 5.2: the bit "1", then k zero bits with l + 1 + k = 448 mod 512, then l as 64 bits
        tail = self._buffer + b"\x80" + b"\x00" * ((55 - len(self._buffer)) % 64) \
            + struct.pack(">Q", (self._length * 8) & 0xFFFFFFFFFFFFFFFF)
        v = self._v
        for start in range(0, len(tail), 64):
            v = _compress(v, tail[start:start + 64])
        return struct.pack(">8I", *v)

    def hexdigest(self) -> str:
        return self.digest().hex()


def _openssl_sm3_works() -> bool:
    try:
        return hashlib.new("sm3", b"abc").hexdigest().startswith("66c7f0f4")
    except (ValueError, TypeError):  # unsupported, or refused by a FIPS-only OpenSSL
        return False


_OPENSSL_SM3 = _openssl_sm3_works()


def sm3_backend() -> str:
    """"openssl" or "python": which SM3 new_sm3() gives."""
    return "openssl" if _OPENSSL_SM3 else "python"


def new_sm3(data: bytes = b""):
    """A new SM3 hash object: OpenSSL's where it has SM3, else PureSM3."""
    return hashlib.new("sm3", data) if _OPENSSL_SM3 else PureSM3(data)


def new_hash(name: str, data: bytes = b""):
    """hashlib.new(NAME), with "sm3" from new_sm3 (so it works without OpenSSL's)."""
    return new_sm3(data) if name == "sm3" else hashlib.new(name, data)


def sm3_hex(data: bytes) -> str:
    return new_sm3(data).hexdigest()


# ---- files ------------------------------------------------------------------------------


class Digests(NamedTuple):
    sha256: str
    sm3: str
    size: int


def _read_digests(handle, out=None, limit: int | None = None) -> Digests:
    sha, sm3 = hashlib.sha256(), new_sm3()
    size = 0
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        size += len(chunk)
        if limit is not None and size > limit:
            raise TooLarge(size)
        sha.update(chunk)
        sm3.update(chunk)
        if out is not None:
            out.write(chunk)
    return Digests(sha.hexdigest(), sm3.hexdigest(), size)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of the file at PATH, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_digests(path: str | Path) -> Digests:
    """SHA-256 and SM3 of the file at PATH, and its size, read once."""
    with open(path, "rb") as handle:
        return _read_digests(handle)


class TooLarge(Exception):
    """copy_and_hash read more than its limit."""


def copy_and_hash(source: str | Path, out, limit: int | None = None) -> Digests:
    """Copy the file at SOURCE into the open binary file OUT, taking both digests of
    the bytes as they pass (one read); return Digests(sha256, sm3, size). TooLarge
    when more than LIMIT bytes come."""
    with open(source, "rb") as handle:
        return _read_digests(handle, out, limit)
