"""philox_ref.py: an independent Python Philox4x32-10 stream and task.permute's permutation,
for the tests and the reference-vector generator (src/base/rng.h's counter layout,
src/engine/task.c's Fisher-Yates). Written from the papers' description, not from rng.c."""

STREAM_PERMUTE = 8  # src/base/rng.h: TRAIN_DATA = 1, ..., VAL_DATA = 7, PERMUTE


def philox(ctr, key):
    """Philox4x32-10: the 4-word counter ctr under the 2-word key -> 4 words."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    m = 0xFFFFFFFF
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & m, p1 & m, ((p0 >> 32) ^ c3 ^ k1) & m, p0 & m
        k0, k1 = (k0 + 0x9E3779B9) & m, (k1 + 0xBB67AE85) & m
    return [c0, c1, c2, c3]


class Stream:
    """The 32-bit words of stream `stream` under `seed`, in order."""

    def __init__(self, seed, stream):
        self.key, self.stream, self.block, self.buf = (seed & 0xFFFFFFFF, seed >> 32), stream, 0, []

    def u32(self):
        if not self.buf:
            self.buf = philox((self.block & 0xFFFFFFFF, self.block >> 32, self.stream, 0x5357), self.key)
            self.block += 1
        return self.buf.pop(0)

    def below(self, n):  # Lemire's multiply-and-reject
        m = self.u32() * n
        if (m & 0xFFFFFFFF) < n:
            threshold = (2**32 - n) % n
            while (m & 0xFFFFFFFF) < threshold:
                m = self.u32() * n
        return m >> 32


def permutation(seed, T):
    """task.permute's order of T steps: Fisher-Yates from the end on (seed, STREAM_PERMUTE)."""
    rng, p = Stream(seed, STREAM_PERMUTE), list(range(T))
    for t in range(T - 1, 0, -1):
        j = rng.below(t + 1)
        p[t], p[j] = p[j], p[t]
    return p
