"""Bus messages for the tests' raw pyzmq clients: a message of exactly two frames is a bundle of
envelopes of one topic (docs/bus-protocol.md §3, "Bundles"), which Swift publishers send to
receivers that said `"bundles": true` and which listeners that say no hello (these clients, the
trace tool) may see. `envelopes` turns any received message into the messages it stands for, so
a reader handles a bundle's envelopes exactly as if each had arrived alone.

(pyservice.py has its own reader on purpose: it is the example written from the document alone
and imports nothing of the tests.)"""
import struct

LENGTH = struct.Struct(">I")  # each length: an unsigned 32-bit big-endian integer


class BadBundle(ValueError):
    """Frame 1 of a two-frame message does not split exactly into whole entries."""


def bundle(pairs) -> bytes:
    """Frame 1 of a bundle holding these (header bytes, body bytes) pairs, in order."""
    return b"".join(LENGTH.pack(len(part)) + part for pair in pairs for part in pair)


def split_bundle(data: bytes):
    """The (header bytes, body bytes) pairs of a bundle's frame 1, in order; BadBundle unless
    it splits exactly into one or more whole entries."""
    pairs, offset = [], 0
    while offset < len(data):
        pair = []
        for _ in range(2):
            if offset + LENGTH.size > len(data):
                raise BadBundle(f"entry {len(pairs)} ends inside a length")
            (length,) = LENGTH.unpack_from(data, offset)
            offset += LENGTH.size
            if offset + length > len(data):
                raise BadBundle(f"entry {len(pairs)} is cut short")
            pair.append(bytes(data[offset:offset + length]))
            offset += length
        pairs.append(tuple(pair))
    if not pairs:
        raise BadBundle("no entry")
    return pairs


def envelopes(frames):
    """The messages one received message stands for, each as its frames [topic, header, body,
    attachments...]: a bundle's envelopes in order, or the message itself."""
    if len(frames) == 2:
        return [[frames[0], header, body] for header, body in split_bundle(frames[1])]
    return [list(frames)]
