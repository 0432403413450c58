"""What the newer families share: workspaces that look like a person's (real PNG, PDF and zip
bytes, unrelated files around the inputs), the integrity checks every one of them runs (inputs
kept, nothing else touched), lenient parsers for dates and numbers (a second correct answer in
another reasonable spelling passes), and the rubric builder for prose outputs.

Everything is deterministic in the `random.Random` it is given: zip entries carry a fixed time,
PNGs are compressed at a fixed level, PDFs are written byte by byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import struct
import zipfile
import zlib
from typing import Any

from clawgym.synth.families._base import FIRST_NAMES, LAST_NAMES, WORDS, script

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def png(rng: random.Random, width: int = 8, height: int = 8) -> bytes:
    """A valid RGB PNG of random colour blocks (what a thumbnail or a screenshot crop is to `file`)."""
    base = [rng.randrange(256) for _ in range(3)]
    rows = b"".join(b"\x00" + bytes((base[c] + (x * 17 + y * 29) % 64) % 256 for x in range(width) for c in range(3))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF showing `lines` (ASCII), with a correct xref table."""
    def esc(s: str) -> str:
        return s.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 11 Tf 72 760 Td 14 TL " + " ".join(f"({esc(ln)}) '" for ln in lines) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{off:010d} 00000 n \n" for off in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def zip_bytes(files: dict[str, bytes | str]) -> bytes:
    """A valid zip archive of `files`, byte-identical every time (fixed entry times)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def long_date(d: dt.date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def us_date(d: dt.date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def noise(rng: random.Random, n: int, avoid: tuple[str, ...] = ()) -> dict[str, bytes]:
    """n unrelated files a real home folder has around the ones a task is about: photos, scanned
    PDFs, a backup zip, stray notes and settings. No path starts with a prefix in `avoid`."""
    makers = [
        lambda i: (f"Pictures/IMG_{rng.randint(1000, 9999)}.png", png(rng, rng.randint(4, 12), rng.randint(4, 12))),
        lambda i: (f"Downloads/{rng.choice(WORDS)}-{rng.randint(1, 99)}.pdf",
                   pdf([f"{rng.choice(WORDS).title()} {rng.choice(['statement', 'brochure', 'receipt', 'ticket'])}",
                        f"Ref {rng.randint(10000, 99999)}"])),
        lambda i: (f"Backups/{rng.choice(WORDS)}-backup-{i}.zip",
                   zip_bytes({f"{rng.choice(WORDS)}.txt": f"{rng.choice(WORDS)} {rng.getrandbits(32):08x}\n"})),
        lambda i: (f"Documents/scratch/{rng.choice(WORDS)}-{i}.txt",
                   f"remember: {rng.choice(WORDS)} {rng.choice(WORDS)} for {person(rng)}\n".encode()),
        lambda i: (f".config/{rng.choice(WORDS)}/settings-{i}.json",
                   f'{{"theme": "{rng.choice(["dark", "light"])}", "font_size": {rng.randint(10, 18)}}}\n'.encode()),
        lambda i: (f"Documents/recipes/{rng.choice(WORDS)}-{rng.choice(['soup', 'cake', 'curry', 'salad'])}.md",
                   f"# {rng.choice(WORDS).title()}\n\n- {rng.randint(1, 4)} cups {rng.choice(WORDS)}\n".encode()),
        lambda i: (f"Pictures/screenshots/Screenshot {2023 + i % 2}-0{1 + i % 9}-1{i % 10} at 10.{i:02d}.png",
                   png(rng, 10, 6)),
    ]
    out: dict[str, bytes] = {}
    i = 0
    while len(out) < n:
        path, data = makers[i % len(makers)](i) if i < len(makers) else rng.choice(makers)(i)
        i += 1
        if path not in out and not path.startswith(avoid):
            out[path] = data
    return out


def request(rng: random.Random, intro: str, asks: list[str], shuffle: bool = True) -> str:
    """The instruction as a person writes it: the ask, then the details either as a short list or
    run on as sentences (about half each), in varied order unless the order matters."""
    asks = list(asks)
    if shuffle:
        rng.shuffle(asks)
    if rng.random() < 0.5:
        return intro + "\n\n" + "\n".join(f"- {a}" for a in asks) + "\n"
    return intro + " " + " ".join(a if a.endswith((".", "?", "!")) else a + "." for a in asks) + "\n"


def without(files: dict[str, bytes], *paths: str) -> dict[str, bytes]:
    """A copy of a workspace (path -> bytes) with `paths` deleted: the mutations' "input deleted"."""
    return {p: d for p, d in files.items() if p not in paths}


def rubric(out: str, intro: str, rules: list[tuple[str, str, str]]) -> dict[str, Any]:
    """ClawGym's llm_rubric for one prose output: each rule is (name, what a 0 is, what a 1 is)."""
    return {"eval_type": "llm_rubric", "score_options": [0, 0.25, 0.5, 0.75, 1], "eval_input": intro,
            "rules": [{"name": name, "file_path": out, "scores": {"0": zero, "1": one}} for name, zero, one in rules]}


#: Helpers every newer family's check.py starts with (after the shared harness head).
COMMON_CHECK = "\n" + script("_common")
