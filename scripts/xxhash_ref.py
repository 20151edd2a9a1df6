"""XXH32 and XXH3-64 (seed 0, the default secret) in pure Python, for scripts/reference_decoder.py.

Written from the public xxHash specification (doc/xxhash_spec.md of the xxHash project): slow,
dependency-free, and exact for every input length.
"""

import struct

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

PRIME32_1 = 0x9E3779B1
PRIME32_2 = 0x85EBCA77
PRIME32_3 = 0xC2B2AE3D
PRIME32_4 = 0x27D4EB2F
PRIME32_5 = 0x165667B1
PRIME64_1 = 0x9E3779B185EBCA87
PRIME64_2 = 0xC2B2AE3D27D4EB4F
PRIME64_3 = 0x165667B19E3779F9
PRIME64_4 = 0x85EBCA77C2B2AE63
PRIME64_5 = 0x27D4EB2F165667C5
PRIME_MX1 = 0x165667919E3779F9
PRIME_MX2 = 0x9FB21C651E98DF25

# The default 192-byte secret of XXH3.
XXH3_SECRET = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
    "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
    "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e"
)
assert len(XXH3_SECRET) == 192


def _rotl32(x, r):
    return ((x << r) | (x >> (32 - r))) & M32


def _rotl64(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def xxh32(data, seed=0):
    """XXH32 of `data` (bytes-like) with `seed`."""
    n = len(data)
    p = 0
    if n >= 16:
        a1 = (seed + PRIME32_1 + PRIME32_2) & M32
        a2 = (seed + PRIME32_2) & M32
        a3 = seed & M32
        a4 = (seed - PRIME32_1) & M32
        while p + 16 <= n:
            l1, l2, l3, l4 = struct.unpack_from("<4I", data, p)
            a1 = _rotl32((a1 + l1 * PRIME32_2) & M32, 13) * PRIME32_1 & M32
            a2 = _rotl32((a2 + l2 * PRIME32_2) & M32, 13) * PRIME32_1 & M32
            a3 = _rotl32((a3 + l3 * PRIME32_2) & M32, 13) * PRIME32_1 & M32
            a4 = _rotl32((a4 + l4 * PRIME32_2) & M32, 13) * PRIME32_1 & M32
            p += 16
        acc = (_rotl32(a1, 1) + _rotl32(a2, 7) + _rotl32(a3, 12) + _rotl32(a4, 18)) & M32
    else:
        acc = (seed + PRIME32_5) & M32
    acc = (acc + n) & M32
    while p + 4 <= n:
        (lane,) = struct.unpack_from("<I", data, p)
        acc = _rotl32((acc + lane * PRIME32_3) & M32, 17) * PRIME32_4 & M32
        p += 4
    while p < n:
        acc = _rotl32((acc + data[p] * PRIME32_5) & M32, 11) * PRIME32_1 & M32
        p += 1
    acc ^= acc >> 15
    acc = acc * PRIME32_2 & M32
    acc ^= acc >> 13
    acc = acc * PRIME32_3 & M32
    acc ^= acc >> 16
    return acc


def _secret64(offset):
    return struct.unpack_from("<Q", XXH3_SECRET, offset)[0]


def _avalanche_xxh64(x):
    x ^= x >> 33
    x = x * PRIME64_2 & M64
    x ^= x >> 29
    x = x * PRIME64_3 & M64
    x ^= x >> 32
    return x


def _avalanche_xxh3(x):
    x ^= x >> 37
    x = x * PRIME_MX1 & M64
    x ^= x >> 32
    return x


def _mul128_fold64(a, b):
    product = a * b
    return (product ^ (product >> 64)) & M64


def _mix16(data, offset, secret_offset):
    """XXH3's mixStep with seed 0: 16 bytes of data against 16 bytes of the secret."""
    d0, d1 = struct.unpack_from("<2Q", data, offset)
    s0, s1 = struct.unpack_from("<2Q", XXH3_SECRET, secret_offset)
    return _mul128_fold64(d0 ^ s0, d1 ^ s1)


# Secret words for every 8-byte step of the long-input accumulation, and for the scramble.
_STRIPE_SECRETS = [struct.unpack_from("<8Q", XXH3_SECRET, 8 * n) for n in range(17)]
_LAST_STRIPE_SECRET = struct.unpack_from("<8Q", XXH3_SECRET, 192 - 71)
_SCRAMBLE_SECRET = struct.unpack_from("<8Q", XXH3_SECRET, 192 - 64)


def _xxh3_accumulate(acc, data, offset, secret_words):
    stripe = struct.unpack_from("<8Q", data, offset)
    for i in range(8):
        lane = stripe[i]
        value = lane ^ secret_words[i]
        acc[i ^ 1] = (acc[i ^ 1] + lane) & M64
        acc[i] = (acc[i] + (value & M32) * (value >> 32)) & M64


def _xxh3_long(data):
    """XXH3-64 of more than 240 bytes: blocks of 16 stripes of 64 bytes, each block scrambled."""
    n = len(data)
    acc = [PRIME32_3, PRIME64_1, PRIME64_2, PRIME64_3, PRIME64_4, PRIME32_2, PRIME64_5, PRIME32_1]
    block_len = 1024  # 16 stripes per block with the 192-byte secret
    full_blocks = (n - 1) // block_len  # the last block (1 to 1024 bytes) is handled apart
    for b in range(full_blocks):
        base = b * block_len
        for s in range(16):
            _xxh3_accumulate(acc, data, base + 64 * s, _STRIPE_SECRETS[s])
        for i in range(8):
            a = acc[i]
            a ^= a >> 47
            a ^= _SCRAMBLE_SECRET[i]
            acc[i] = a * PRIME32_1 & M64
    base = full_blocks * block_len
    last_len = n - base
    for s in range((last_len - 1) // 64):
        _xxh3_accumulate(acc, data, base + 64 * s, _STRIPE_SECRETS[s])
    _xxh3_accumulate(acc, data, n - 64, _LAST_STRIPE_SECRET)
    result = n * PRIME64_1 & M64
    for i in range(4):
        s0, s1 = struct.unpack_from("<2Q", XXH3_SECRET, 11 + 16 * i)
        result = (result + _mul128_fold64(acc[2 * i] ^ s0, acc[2 * i + 1] ^ s1)) & M64
    return _avalanche_xxh3(result)


def xxh3_64(data):
    """XXH3-64 of `data` (bytes-like) with seed 0 and the default secret."""
    n = len(data)
    if n == 0:
        return _avalanche_xxh64(_secret64(56) ^ _secret64(64))
    if n <= 3:
        combined = data[n - 1] | (n << 8) | (data[0] << 16) | (data[n >> 1] << 24)
        s0, s1 = struct.unpack_from("<2I", XXH3_SECRET, 0)
        return _avalanche_xxh64((s0 ^ s1) ^ combined)
    if n <= 8:
        (first,) = struct.unpack_from("<I", data, 0)
        (last,) = struct.unpack_from("<I", data, n - 4)
        combined = last | (first << 32)
        value = (_secret64(8) ^ _secret64(16)) ^ combined
        value ^= _rotl64(value, 49) ^ _rotl64(value, 24)
        value = value * PRIME_MX2 & M64
        value ^= ((value >> 35) + n) & M64
        value = value * PRIME_MX2 & M64
        value ^= value >> 28
        return value
    if n <= 16:
        (first,) = struct.unpack_from("<Q", data, 0)
        (last,) = struct.unpack_from("<Q", data, n - 8)
        low = (_secret64(24) ^ _secret64(32)) ^ first
        high = (_secret64(40) ^ _secret64(48)) ^ last
        low_swapped = int.from_bytes(low.to_bytes(8, "little"), "big")
        value = (n + low_swapped + high + _mul128_fold64(low, high)) & M64
        return _avalanche_xxh3(value)
    if n <= 128:
        acc = n * PRIME64_1 & M64
        for i in range(((n - 1) >> 5), -1, -1):
            acc += _mix16(data, 16 * i, 32 * i)
            acc += _mix16(data, n - 16 * i - 16, 32 * i + 16)
        return _avalanche_xxh3(acc & M64)
    if n <= 240:
        acc = n * PRIME64_1 & M64
        for i in range(8):
            acc += _mix16(data, 16 * i, 16 * i)
        acc = _avalanche_xxh3(acc & M64)
        for i in range(8, n >> 4):
            acc += _mix16(data, 16 * i, 16 * (i - 8) + 3)
        acc += _mix16(data, n - 16, 119)
        return _avalanche_xxh3(acc & M64)
    return _xxh3_long(data)
