"""Hypothesis strategies for files ALMOST.COM may meet: mutated scriptures, random bytes, creed prefixes."""

from __future__ import annotations

from hypothesis import strategies as st

from almostism_dos import reference, scripture


@st.composite
def mutated_scriptures(draw: st.DrawFn) -> bytes:
    """A real scripture, then a few edits, with the checksum repaired half of the time."""
    data = bytearray(reference.build(draw(st.integers(1, 255))))
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(["flip", "set", "truncate", "extend", "insert", "delete"]))
        offset = draw(st.integers(0, max(0, len(data) - 1)))
        if edit == "flip" and data:
            data[offset] ^= 1 << draw(st.integers(0, 7))
        elif edit == "set" and data:
            data[offset] = draw(st.integers(0, 255))
        elif edit == "truncate":
            del data[offset:]
        elif edit == "extend":
            data += draw(st.binary(min_size=1, max_size=64))
        elif edit == "insert":
            data[offset:offset] = draw(st.binary(min_size=1, max_size=4))
        elif edit == "delete" and data:
            del data[offset : offset + draw(st.integers(1, 4))]
    if len(data) == scripture.SIZE and draw(st.booleans()):
        data[-1] = scripture.checksum_byte(bytes(data[:-1]))
    return bytes(data)


files = st.one_of(
    mutated_scriptures(),
    st.binary(max_size=1100),
    st.binary(min_size=1015, max_size=1030).map(lambda tail: scripture.CREED + tail[8:]),
)


@st.composite
def sized_files(draw: st.DrawFn) -> bytes:
    """Any size from 0 to 4096 bytes, starting with the creed (as much of it as fits) half of the time."""
    size = draw(st.integers(0, 4096))
    front = scripture.CREED[:size] if draw(st.booleans()) else b""
    rest = size - len(front)
    return front + draw(st.binary(min_size=rest, max_size=rest))
