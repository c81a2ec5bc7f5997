#!/usr/bin/env bash
# make_blocks.sh OUTDIR -- photos whose time, place, device and description sit
# in XMP and IPTC blocks as well as (or instead of) EXIF, in PNG and WebP as
# well as JPEG, and photos with damaged or implausible EXIF. Written by ffmpeg
# (the pixels) and exiftool (every block); where exiftool will not write the
# damage, python3 patches the bytes exiftool wrote. tests/media.rs ingests
# them and compares every value custody records with `exiftool -n -j -G1`.
#
# Tested with ExifTool 12.57 and ffmpeg 5.1 (Debian 12).
set -euo pipefail
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export LC_ALL=C.UTF-8 TZ=UTC

img() {                                                   # file [ffmpeg args]
  local f=$1; shift
  ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc=size=64x48:rate=1" \
    -frames:v 1 -map_metadata -1 -flags +bitexact -fflags +bitexact "$@" "$f"
}
for f in xmp_only iptc_only exif_xmp_disagree gps_offset device_direction broken_ifd1 \
         zero_denominator null_island; do
  img "$OUT/$f.jpg"
done
img "$OUT/xmp_gps.png"
img "$OUT/webp_exif_header.webp" -c:v libwebp -lossless 1

ET=(-q -q -overwrite_original)
# XMP only: capture time, GPS (written as "36,11.958N"), device, description.
exiftool "${ET[@]}" "-XMP-exif:DateTimeOriginal=2024:11:29 14:03:07+03:00" \
  -XMP-exif:GPSLatitude=36.1993 -XMP-exif:GPSLatitudeRef=N \
  -XMP-exif:GPSLongitude=37.1627 -XMP-exif:GPSLongitudeRef=E \
  -XMP-exif:GPSAltitude=390 -XMP-exif:GPSAltitudeRef=0 \
  -XMP-tiff:Make=Apple "-XMP-tiff:Model=iPhone 15 Pro" \
  "-XMP-dc:Title=The citadel" "-XMP-dc:Description=Smoke over the citadel gate" \
  "-XMP-dc:Creator=A. Resident" -XMP-photoshop:City=Aleppo -XMP-photoshop:Country=Syria \
  "$OUT/xmp_only.jpg"
# IPTC only, UTF-8 declared: date + time with offset, places in Arabic, credits.
exiftool "${ET[@]}" -charset iptc=UTF8 -IPTC:CodedCharacterSet=UTF8 \
  -IPTC:DateCreated=2024:11:30 -IPTC:TimeCreated=09:15:00+03:00 \
  "-IPTC:City=حلب" "-IPTC:Sub-location=ساحة سعد الله" \
  -IPTC:Country-PrimaryLocationName=Syria "-IPTC:By-line=B. Reporter" \
  "-IPTC:Credit=Example Agency" "-IPTC:ObjectName=Central square" \
  "-IPTC:Caption-Abstract=Crowds in the central square" \
  -IPTC:Keywords=Aleppo -IPTC:Keywords=square "$OUT/iptc_only.jpg"
# EXIF and XMP a day apart: two claims, and a discrepancy.
exiftool "${ET[@]}" "-EXIF:DateTimeOriginal=2024:11:29 14:03:00" \
  -EXIF:OffsetTimeOriginal=+03:00 "-XMP-exif:DateTimeOriginal=2024:11:30 14:03:00+03:00" \
  "$OUT/exif_xmp_disagree.jpg"
# Local time only, but GPS says 11:03:05 UTC: the offset is +03:00.
exiftool "${ET[@]}" "-EXIF:DateTimeOriginal=2024:11:29 14:03:07" \
  -EXIF:GPSDateStamp=2024:11:29 -EXIF:GPSTimeStamp=11:03:05 \
  -EXIF:GPSLatitude=36.1993 -EXIF:GPSLatitudeRef=N \
  -EXIF:GPSLongitude=37.1627 -EXIF:GPSLongitudeRef=E "$OUT/gps_offset.jpg"
# The device and which way the camera faced; below sea level (Dead Sea).
exiftool "${ET[@]}" -EXIF:Make=SONY -EXIF:Model=ILCE-7M4 "-EXIF:Software=Adobe Photoshop 25.0" \
  -EXIF:SerialNumber=5012345 "-EXIF:LensModel=FE 24-70mm F2.8 GM II" \
  "-EXIF:DateTimeOriginal=2024:05:01 06:30:00" -EXIF:OffsetTimeOriginal=+02:00 \
  -EXIF:GPSLatitude=31.5590 -EXIF:GPSLatitudeRef=N \
  -EXIF:GPSLongitude=35.4732 -EXIF:GPSLongitudeRef=E \
  -EXIF:GPSAltitude=430 "-EXIF:GPSAltitudeRef#=1" \
  -EXIF:GPSImgDirection=123.45 -EXIF:GPSImgDirectionRef=T "$OUT/device_direction.jpg"
# A readable DateTimeOriginal with a thumbnail IFD, whose pointer is then
# broken (below).
exiftool "${ET[@]}" -EXIF:Make=Canon "-EXIF:DateTimeOriginal=2024:11:29 14:03:00" \
  -EXIF:OffsetTimeOriginal=+03:00 -IFD1:XResolution=72 -IFD1:YResolution=72 \
  "$OUT/broken_ifd1.jpg"
exiftool "${ET[@]}" -EXIF:GPSLatitude=36.1993 -EXIF:GPSLatitudeRef=N \
  -EXIF:GPSLongitude=37.1627 -EXIF:GPSLongitudeRef=E "$OUT/zero_denominator.jpg"
exiftool "${ET[@]}" -EXIF:GPSLatitude=0 -EXIF:GPSLatitudeRef=N \
  -EXIF:GPSLongitude=0 -EXIF:GPSLongitudeRef=E "-EXIF:DateTimeOriginal=2024:11:29 14:03:00" \
  "$OUT/null_island.jpg"
# PNG with XMP (an iTXt chunk) only.
exiftool "${ET[@]}" "-XMP-exif:DateTimeOriginal=2024:06:15 09:30:00-04:00" \
  -XMP-exif:GPSLatitude=-33.4489 -XMP-exif:GPSLongitude=-70.6693 "$OUT/xmp_gps.png"
# WebP EXIF chunk (its JPEG-style header is added below).
exiftool "${ET[@]}" "-EXIF:DateTimeOriginal=2024:11:29 14:03:00" -EXIF:OffsetTimeOriginal=+03:00 \
  -EXIF:GPSLatitude=36.1993 -EXIF:GPSLatitudeRef=N \
  -EXIF:GPSLongitude=37.1627 -EXIF:GPSLongitudeRef=E "$OUT/webp_exif_header.webp"

python3 - "$OUT" <<'EOF'
import struct, sys, pathlib
out = pathlib.Path(sys.argv[1])

def tiff_at(b):
    return b.index(b"Exif\0\0") + 6

# broken_ifd1: IFD0's next-IFD pointer (to the thumbnail IFD) points past the file.
p = out / "broken_ifd1.jpg"; b = bytearray(p.read_bytes()); t = tiff_at(b)
e = ">" if b[t:t+2] == b"MM" else "<"
ifd0 = struct.unpack(e + "I", b[t+4:t+8])[0]
n = struct.unpack(e + "H", b[t+ifd0:t+ifd0+2])[0]
at = t + ifd0 + 2 + 12 * n
assert struct.unpack(e + "I", b[at:at+4])[0] != 0, "no IFD1 to break"
b[at:at+4] = struct.pack(e + "I", 0x7ffffff0)
p.write_bytes(b)

# zero_denominator: GPSLatitude 36/1 11/1 1437/25 becomes 36/0 11/1 1437/25.
p = out / "zero_denominator.jpg"; b = bytearray(p.read_bytes())
e = ">" if b[tiff_at(b):tiff_at(b)+2] == b"MM" else "<"
lat = struct.pack(e + "6I", 36, 1, 11, 1, 1437, 25)
i = b.index(lat)
b[i+4:i+8] = struct.pack(e + "I", 0)
p.write_bytes(b)

# webp_exif_header: the EXIF chunk's payload gets the "Exif\0\0" header
# some writers put there (6 bytes: the chunk stays even).
p = out / "webp_exif_header.webp"; b = bytearray(p.read_bytes())
i = b.index(b"EXIF", 12)
size = struct.unpack("<I", b[i+4:i+8])[0]
b[i+4:i+8] = struct.pack("<I", size + 6)
b[i+8:i+8] = b"Exif\0\0"
b[4:8] = struct.pack("<I", len(b) - 8)
p.write_bytes(b)
EOF
