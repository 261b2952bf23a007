#!/usr/bin/python3
"""Checks TensorBoard event files as the tensorboard sink writes them, with tools that
share no code with it:
  - the name: events.out.tfevents.<10-digit unix seconds>.<host>[.<n>];
  - TFRecord framing: uint64 length (little-endian), masked CRC-32C of the 8 length
    bytes, the data, masked CRC-32C of the data; the file ends at a record's end.
    CRC-32C (Castagnoli) is computed here bit by bit: reflected polynomial 0x82F63B78,
    initial value and final XOR 0xFFFFFFFF; masked = rotate right 15 + 0xA282EAD8;
  - every record's data decodes with `protoc --decode_raw` (Debian's protobuf-compiler,
    which must be installed: scripts/install-deps.sh) as an Event: field 1 wall_time
    (fixed64), then either field 3 file_version "brain.Event:2" (the first record, only
    there) or field 2 step (optional varint) and field 5 Summary, whose values (field 1)
    each hold a tag (1, a string) and a simple_value (2, a finite fixed32 float), or, for
    a text summary, a tag, a tensor (8) of dtype DT_STRING (field 1 = 7) and metadata (9)
    naming the plugin "text" (field 1 of field 1).

usage: check_tensorboard.py PATH...   (PATH: an event file, or a folder searched for them)
"""
import pathlib
import re
import shutil
import struct
import subprocess
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(blob):
    at = 0
    while at < len(blob):
        if len(blob) - at < 12:
            raise ValueError(f"{len(blob) - at} stray bytes at offset {at}")
        length_bytes = blob[at:at + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        (length_crc,) = struct.unpack("<I", blob[at + 8:at + 12])
        if length_crc != masked(length_bytes):
            raise ValueError(f"bad length CRC at offset {at}")
        data = blob[at + 12:at + 12 + length]
        if len(data) != length or len(blob) < at + 16 + length:
            raise ValueError(f"truncated record at offset {at}")
        (data_crc,) = struct.unpack("<I", blob[at + 12 + length:at + 16 + length])
        if data_crc != masked(data):
            raise ValueError(f"bad data CRC at offset {at}")
        yield data
        at += 16 + length


def parse_decode_raw(text):
    """protoc --decode_raw's text ('N: value' and 'N { ... }') as [(field, value or list)]."""
    stack = [[]]
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line == "}":
            done = stack.pop()
            stack[-1][-1] = (stack[-1][-1][0], done)
        elif line.endswith("{"):
            stack[-1].append((int(line[:-1].strip()), None))
            stack.append([])
        else:
            field, value = line.split(":", 1)
            stack[-1].append((int(field), value.strip()))
    if len(stack) != 1:
        raise ValueError("unbalanced braces in protoc's output")
    return stack[0]


def fixed(value, size):
    if not re.fullmatch(r"0x[0-9a-f]{1,%d}" % (2 * size), value):
        raise ValueError(f"{value!r} is not a fixed{8 * size}")
    return struct.unpack("<d" if size == 8 else "<f", int(value, 16).to_bytes(size, "little"))[0]


def check_event(fields, first):
    """Raises ValueError unless fields are an Event as described above; returns the tags."""
    names = [f for f, _ in fields]
    if names.count(1) != 1 or fixed(dict(fields)[1], 8) <= 0:
        raise ValueError("no wall_time")
    if first:
        if sorted(names) != [1, 3] or dict(fields)[3] != '"brain.Event:2"':
            raise ValueError(f"the first record is not file_version brain.Event:2: {fields}")
        return []
    if 3 in names or names.count(5) != 1 or set(names) - {1, 2, 5}:
        raise ValueError(f"not a summary event: fields {names}")
    if 2 in names and not re.fullmatch(r"\d+", dict(fields)[2]):
        raise ValueError(f"step {dict(fields)[2]!r}")
    summary = dict(fields)[5]
    if not isinstance(summary, list) or not summary:
        raise ValueError("an empty summary")
    tags = []
    for field, value in summary:
        values = dict(value) if field == 1 and isinstance(value, list) else {}
        if values and sorted(f for f, _ in value) == [1, 8, 9]:  # a text summary
            tensor, metadata = values[8], values[9]
            if not re.fullmatch(r'"[^"]+"', values[1]) or not isinstance(tensor, list) or (1, "7") not in tensor:
                raise ValueError(f"a text value is not (tag, DT_STRING tensor, metadata): {value}")
            plugin = dict(metadata).get(1) if isinstance(metadata, list) else None
            if not isinstance(plugin, list) or (1, '"text"') not in plugin:
                raise ValueError(f"a text value's metadata does not name the text plugin: {value}")
            continue
        if sorted(f for f, _ in value) != [1, 2] or not re.fullmatch(r'"[^"]+"', values[1]):
            raise ValueError(f"a summary value is not (tag, simple_value): {value}")
        number = fixed(values[2], 4)
        if number != number or abs(number) == float("inf"):
            raise ValueError(f"{values[1]} is not finite")
        tags.append(values[1].strip('"'))
    return tags


def main(paths):
    if not paths:
        sys.exit(__doc__)
    if crc32c(b"123456789") != 0xE3069283:
        sys.exit("check_tensorboard.py: the CRC-32C check value is wrong")
    protoc = shutil.which("protoc")
    if not protoc:
        sys.exit("check_tensorboard.py: protoc is missing: install protobuf-compiler (scripts/install-deps.sh)")
    files = []
    for p in map(pathlib.Path, paths):
        files += sorted(f for f in p.rglob("*") if "tfevents" in f.name) if p.is_dir() else [p]
    problems, count, scalars = [], 0, 0
    for path in files:
        if not re.fullmatch(r"events\.out\.tfevents\.\d{10}\.[^/\s]+", path.name):
            problems.append(f"{path}: not named events.out.tfevents.<10 digits>.<host>")
        try:
            for index, data in enumerate(records(path.read_bytes())):
                decoded = subprocess.run([protoc, "--decode_raw"], input=data, capture_output=True, timeout=30)
                if decoded.returncode != 0:
                    raise ValueError(f"record {index}: protoc --decode_raw: {decoded.stderr.decode().strip()}")
                try:
                    scalars += len(check_event(parse_decode_raw(decoded.stdout.decode()), index == 0))
                except (ValueError, KeyError) as e:
                    raise ValueError(f"record {index}: {e}") from None
                count += 1
        except ValueError as e:
            problems.append(f"{path}: {e}")
    if not files:
        problems.append("no event file in " + " ".join(paths))
    for p in problems:
        print(p)
    print(f"check_tensorboard.py: {len(files)} files, {count} records, {scalars} scalars, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
