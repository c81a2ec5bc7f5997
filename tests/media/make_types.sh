#!/usr/bin/env bash
# make_types.sh OUTDIR -- one small file of every container the field sends
# that ffmpeg and exiftool can write here (Matroska, WebM, MPEG-TS and M2TS,
# 3GP and 3G2, MP4, MOV, M4V, M4A, ADTS AAC, Ogg Opus, WAV, FLAC, MP3, GIF,
# BMP, TIFF, a TIFF marked as DNG), plus the ones written byte by byte in
# python3 (AMR, BigTIFF, ZIP, WACZ, WARC, PDF). tests/media.rs sniffs each
# and compares with `file --mime-type`: every disagreement must be a
# documented alias (src/media.rs, README "Media types").
#
# Tested with ffmpeg 5.1, ExifTool 12.57 and file 5.44 (Debian 12).
set -euo pipefail
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export LC_ALL=C.UTF-8 TZ=UTC

av() {                                                   # file [ffmpeg args]
  local f=$1; shift
  ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc=size=64x48:rate=5:duration=1" \
    -f lavfi -i "sine=d=1" -map_metadata -1 -flags +bitexact -fflags +bitexact -threads 1 "$@" "$f"
}
audio() {                                                # file [ffmpeg args]
  local f=$1; shift
  ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "sine=d=1" \
    -map_metadata -1 -flags +bitexact -fflags +bitexact -threads 1 "$@" "$f"
}
still() {                                                # file [ffmpeg args]
  local f=$1; shift
  ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc=size=64x48:rate=1" \
    -frames:v 1 -map_metadata -1 -flags +bitexact -fflags +bitexact "$@" "$f"
}

av "$OUT/clip.mkv" -c:v mpeg4 -c:a aac
av "$OUT/clip.webm" -c:v libvpx -c:a libopus
av "$OUT/clip.ts" -c:v mpeg4 -c:a mp2
av "$OUT/clip.m2ts" -c:v mpeg4 -c:a mp2 -f mpegts -mpegts_m2ts_mode 1
av "$OUT/clip.3gp" -c:v h263 -s 176x144 -c:a aac -ar 8000 -ac 1
av "$OUT/clip.3g2" -c:v mpeg4 -c:a aac
av "$OUT/clip.mp4" -c:v mpeg4 -c:a aac
av "$OUT/clip.mov" -c:v mpeg4 -c:a aac
av "$OUT/clip.m4v" -c:v mpeg4 -c:a aac
audio "$OUT/voice.m4a" -c:a aac
audio "$OUT/voice.aac" -c:a aac -f adts
audio "$OUT/voice_note.opus" -c:a libopus -f ogg
audio "$OUT/voice.wav"
audio "$OUT/voice.flac" -c:a flac
audio "$OUT/voice.mp3" -c:a libmp3lame
still "$OUT/frame.gif"
still "$OUT/frame.bmp"
still "$OUT/frame.tif" -c:v tiff -compression_algo lzw
cp "$OUT/frame.tif" "$OUT/marked.dng"
exiftool -q -q -overwrite_original -DNGVersion=1.4.0.0 "$OUT/marked.dng"

python3 - "$OUT" <<'EOF'
import struct, sys, zipfile
out = sys.argv[1]
# AMR narrowband (RFC 4867 section 5 storage format): the magic, then
# frames of mode 7 (12.2 kbit/s): a header byte and 31 bytes.
with open(f"{out}/voice.amr", "wb") as f:
    f.write(b"#!AMR\n" + (b"\x3c" + bytes(31)) * 5)
# BigTIFF: one 1x1 8-bit grey strip.
entries = [(256, 3, 1), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1),
           (273, 16, None), (277, 3, 1), (279, 16, 1)]
data_at = 16 + 8 + 20 * len(entries) + 8
b = b"II" + struct.pack("<HHHQ", 43, 8, 0, 16) + struct.pack("<Q", len(entries))
for tag, typ, val in entries:
    val = data_at if val is None else val
    b += struct.pack("<HHQH6x", tag, typ, 1, val) if typ == 3 else struct.pack("<HHQQ", tag, typ, 1, val)
with open(f"{out}/scan_big.tif", "wb") as f:
    f.write(b + struct.pack("<Q", 0) + b"\x80")
with zipfile.ZipFile(f"{out}/reports.zip", "w") as z:
    z.writestr("report.txt", "residents reported shelling near the citadel")
# WACZ 1.1.1: datapackage.json at the root, WARCs under archive/.
with zipfile.ZipFile(f"{out}/capture.wacz", "w") as z:
    z.writestr("datapackage.json", '{"profile": "data-package", "wacz_version": "1.1.1", "resources": []}')
    z.writestr("archive/data.warc", "WARC/1.1\r\n\r\n")
record = (b"WARC/1.1\r\nWARC-Type: warcinfo\r\nWARC-Date: 2024-11-30T10:00:00Z\r\n"
          b"WARC-Record-ID: <urn:uuid:6a0d7a4c-8a1f-4f0e-9b4d-8d2f1e7c9b10>\r\n"
          b"Content-Type: application/warc-fields\r\nContent-Length: 16\r\n\r\n"
          b"software: test\r\n\r\n\r\n")
with open(f"{out}/page.warc", "wb") as f:
    f.write(record)
with open(f"{out}/statement.pdf", "wb") as f:
    f.write(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
EOF
