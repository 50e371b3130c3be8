"""Regenerate the sample logo (templates/_assets/logo.png) and the preview PDFs; stdlib only."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLYPHS = {
    "P": ["11110", "10001", "10001", "11110", "10000", "10000", "10000"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
    "I": ["11111", "00100", "00100", "00100", "00100", "00100", "11111"],
    "N": ["10001", "11001", "10101", "10011", "10001", "10001", "10001"],
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "O": ["01110", "10001", "10001", "10001", "10001", "10001", "01110"],
    "M": ["10001", "11011", "10101", "10101", "10001", "10001", "10001"],
    " ": ["00000"] * 7,
}


def logo_png() -> bytes:
    w, h = 400, 80
    blue, light, white = (11, 61, 107, 255), (11, 92, 173, 255), (255, 255, 255, 255)
    px = [[(255, 255, 255, 0)] * w for _ in range(h)]

    def rect(x0: int, y0: int, x1: int, y1: int, c: tuple[int, int, int, int]) -> None:
        for y in range(max(0, y0), min(h, y1)):
            for x in range(max(0, x0), min(w, x1)):
                px[y][x] = c

    rect(6, 10, 70, 70, blue)  # a printer with a sheet going in and one coming out
    rect(16, 4, 60, 30, white)
    rect(18, 6, 58, 28, light)
    rect(14, 44, 62, 76, white)
    rect(16, 46, 60, 74, (230, 238, 247, 255))
    rect(22, 54, 54, 57, light)
    rect(22, 62, 48, 65, light)
    x, s = 88, 5
    for ch in "PRINT ROOM":
        for gy, row in enumerate(GLYPHS[ch]):
            for gx, bit in enumerate(row):
                if bit == "1":
                    rect(x + gx * s, 22 + gy * s, x + gx * s + s, 22 + gy * s + s, blue)
        x += 6 * s
    raw = b"".join(b"\x00" + b"".join(struct.pack("4B", *p) for p in row) for row in px)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def pdf(title: str) -> bytes:
    stream = f"BT /F1 24 Tf 72 760 Td ({title}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


def main() -> None:
    (ROOT / "templates/_assets/logo.png").write_bytes(logo_png())
    files = {
        "PO-1001": (("final.pdf", "print file"), ("ticket.pdf", "job ticket"),
                    ("preflight.pdf", "preflight report")),
        "PO-1002": (("final.pdf", "print file"),),
    }
    for order, names in files.items():
        jobs = ROOT / "config/samples/files/jobs" / order
        jobs.mkdir(parents=True, exist_ok=True)
        for name, title in names:
            (jobs / name).write_bytes(pdf(f"{order} - {title} (sample)"))


if __name__ == "__main__":
    main()
