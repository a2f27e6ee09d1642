"""Generate the hostile-input corpus under tests/fixtures/hostile/ (small files only).

    .venv/bin/python scripts/make_hostile.py [--out tests/fixtures/hostile]

Huge inputs (over the size limit, 10,000 pages) are made at test time by the functions below,
into a temporary directory, rather than checked in. Each file's expected outcome is listed in
`EXPECTED` and written to `expected.json` beside the files.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "hostile"

# Outcome per file: "read" (extraction or not_a_certificate: the parser got through it) or the set
# of acceptable error codes.
READABLE = "read"
EXPECTED: dict[str, str | list[str]] = {
    "encrypted_password.pdf": ["encrypted"],
    "encrypted_empty_password.pdf": READABLE,
    "corrupt_xref.pdf": READABLE,
    "truncated.pdf": [READABLE, "corrupt_pdf", "no_pages"],
    "circular_pages.pdf": ["corrupt_pdf", "no_pages", "not_a_certificate", "parser_crashed"],
    "circular_xobject.pdf": [READABLE, "corrupt_pdf", "parser_crashed"],
    "zero_pages.pdf": ["no_pages", "corrupt_pdf", "not_a_certificate"],
    "nested_arrays.pdf": [READABLE, "corrupt_pdf", "parser_crashed"],
    "flate_bomb.pdf": [READABLE, "memory_exceeded", "corrupt_pdf", "parser_crashed", "timeout"],
    "huge_image.png": ["image_too_large"],
    "huge_image.pdf": ["image_too_large"],
    "zip_named.pdf": ["unsupported_type"],
    "text_named.jpg": ["unsupported_type"],
    "empty.pdf": ["empty_file"],
}


# ---------------------------------------------------------------- a tiny PDF writer


def pdf(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF file from numbered object bodies (object i+1 is objects[i]), with a correct xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, root, trailer_extra, xref)
    )
    return out.getvalue()


def stream(data: bytes, extra: bytes = b"", raw_length: int | None = None) -> bytes:
    length = len(data) if raw_length is None else raw_length
    return b"<< /Length %d %s>>\nstream\n" % (length, extra) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def text_pdf(lines: list[str] | None = None) -> bytes:
    """A one-page PDF with a text layer (a few lines of a certificate's header)."""
    lines = lines or [
        "CERTIFICATE OF LIABILITY INSURANCE",
        "THIS CERTIFICATE IS ISSUED AS A MATTER OF INFORMATION ONLY",
        "PRODUCER  Example Brokers LLC",
        "INSURED  Example Contractor Inc.",
    ]
    ops = (
        b"BT /F1 10 Tf 40 740 Td 14 TL "
        + b" ".join(b"(%s) '" % ln.encode("latin-1") for ln in lines)
        + b" ET"
    )
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >>"
            b" /Contents 5 0 R >>",
            _FONT,
            stream(ops),
        ]
    )


def encrypted_pdf(user_password: str) -> bytes:
    """A text PDF encrypted with reportlab's standard security handler (RC4 128)."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    enc = StandardEncryption(user_password, ownerPassword="owner-secret", canPrint=1, strength=128)
    c = Canvas(buf, pagesize=(612, 792), encrypt=enc, invariant=1)
    c.setFont("Helvetica", 10)
    y = 740
    for line in (
        "CERTIFICATE OF LIABILITY INSURANCE",
        "PRODUCER  Example Brokers LLC",
        "INSURED  Example Inc.",
    ):
        c.drawString(40, y, line)
        y -= 14
    c.showPage()
    c.save()
    return buf.getvalue()


def corrupt_xref() -> bytes:
    """Every xref offset wrong and startxref pointing into the middle of an object."""
    data = bytearray(text_pdf())
    start = data.index(b"xref\n")
    end = data.index(b"trailer")
    table = bytes(data[start:end])
    garbled = table.replace(b" 00000 n", b" 00000 n").replace(b"00000000", b"00009999")
    data[start:end] = garbled
    sx = data.rindex(b"startxref\n") + len(b"startxref\n")
    data[sx : data.index(b"\n", sx)] = b"37"
    return bytes(data)


def truncated() -> bytes:
    data = text_pdf()
    return data[: int(len(data) * 0.6)]


def circular_pages() -> bytes:
    """The page tree's only kid is the tree itself."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Pages /Kids [2 0 R] /Parent 2 0 R /Count 1 >>",
        ]
    )


def circular_xobject() -> bytes:
    """Form XObject X1 draws X2, which draws X1."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X1 5 0 R >> >>"
            b" /Contents 4 0 R >>",
            stream(b"q /X1 Do Q"),
            stream(
                b"q /X2 Do Q",
                b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                b"/Resources << /XObject << /X2 6 0 R >> >> ",
            ),
            stream(
                b"q /X1 Do Q",
                b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                b"/Resources << /XObject << /X1 5 0 R >> >> ",
            ),
        ]
    )


def zero_pages() -> bytes:
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def nested_arrays(depth: int = 100_000) -> bytes:
    """A page whose /Annots is an array nested 100,000 deep: recursive parsers overflow."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots "
            + b"[" * depth
            + b"]" * depth
            + b" >>",
        ]
    )


def _deflate_zeros(total: int, chunk: int = 1 << 24) -> bytes:
    comp = zlib.compressobj(9)
    parts = []
    zeros = bytes(chunk)
    left = total
    while left > 0:
        n = min(chunk, left)
        parts.append(comp.compress(zeros if n == chunk else bytes(n)))
        left -= n
    parts.append(comp.flush())
    return b"".join(parts)


def flate_bomb(inflated: int = 2 << 30) -> bytes:
    """A content stream that inflates to 2 GiB (compressed twice: a few KB on disk)."""
    once = _deflate_zeros(inflated)
    twice = zlib.compress(once, 9)
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            stream(twice, b"/Filter [/FlateDecode /FlateDecode] "),
        ]
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def huge_png(side: int = 30_000) -> bytes:
    """A side x side 1-bit white PNG (900 M pixels) written row by row, never held in memory."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def huge_image_pdf(side: int = 30_000) -> bytes:
    """A Letter page showing a side x side 1-bit image (its data compressed twice)."""
    row = b"\xff" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    data = zlib.compress(data, 9)
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R >> >>"
            b" /Contents 4 0 R >>",
            stream(b"q 612 0 0 792 0 0 cm /Im1 Do Q"),
            stream(
                data,
                b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 1 /Filter [/FlateDecode /FlateDecode] " % (side, side),
            ),
        ]
    )


def many_pages(count: int = 10_000) -> bytes:
    """`count` empty pages sharing one content stream."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        stream(b"BT /F1 10 Tf 40 740 Td (page) Tj ET"),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"] * count
    return pdf(objects)


def zip_named_pdf() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("certificate.pdf", text_pdf())
    return buf.getvalue()


def write_oversized(path: Path, size: int) -> Path:
    """A sparse file of `size` bytes that starts like a PDF (no disk space used)."""
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(size)
    return path


BUILDERS: dict[str, Callable[[], bytes]] = {
    "encrypted_password.pdf": lambda: encrypted_pdf("secret"),
    "encrypted_empty_password.pdf": lambda: encrypted_pdf(""),
    "corrupt_xref.pdf": corrupt_xref,
    "truncated.pdf": truncated,
    "circular_pages.pdf": circular_pages,
    "circular_xobject.pdf": circular_xobject,
    "zero_pages.pdf": zero_pages,
    "nested_arrays.pdf": nested_arrays,
    "flate_bomb.pdf": flate_bomb,
    "huge_image.png": huge_png,
    "huge_image.pdf": huge_image_pdf,
    "zip_named.pdf": zip_named_pdf,
    "text_named.jpg": lambda: b"This is not a JPEG, only text that claims to be one.\n",
    "empty.pdf": lambda: b"",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, build in BUILDERS.items():
        data = build()
        (args.out / name).write_bytes(data)
        total += len(data)
        print(f"{name:32s} {len(data):>10,d} bytes")
    (args.out / "expected.json").write_text(json.dumps(EXPECTED, indent=2) + "\n")
    print(f"{len(BUILDERS)} files, {total:,} bytes in {args.out}")


if __name__ == "__main__":
    main()
