#!/usr/bin/env bash
# make_media.sh OUTDIR -- generate tiny media files with KNOWN embedded metadata
# plus OUTDIR/expected.json (what a metadata reader SHOULD extract from each).
# Only ffmpeg/ffprobe and exiftool are used. Every file is read back with
# exiftool / ffprobe before expected.json is written; any disagreement aborts.
# check_media.py (next to this script) re-verifies OUTDIR/expected.json in full.
#
# Tested with: ffmpeg/ffprobe 5.1.9-0+deb12u1 (libavformat 59.27.100,
#              libavcodec 59.37.100), ExifTool 12.57 (Debian 12).
# Output is byte-for-byte reproducible with those versions (-bitexact,
# -threads 1, native mpeg4/mjpeg encoders, no timestamps written by exiftool).
#
# Quirks found (ffmpeg 5.1 / exiftool 12.57):
#  * ffmpeg `-metadata location=ISO6709` in MP4 mode (-f mp4) does NOT write
#    `©xyz`: it writes a 3GPP `loci` box in moov/udta (same as -f 3gp). `©xyz`
#    is only written in MOV mode. So the ©xyz MP4 gets its ©xyz from
#    `exiftool -UserData:GPSCoordinates=...`, which stores the string
#    "+36.1993+037.1627+390.000/" (lat/lon printed with the digits given, alt
#    %.3f) with a 16-bit length and language code 0.
#  * `loci` stores longitude, latitude, altitude (in that order, after
#    version/flags, 16-bit language, empty NUL-terminated name and a 1-byte
#    role) as signed 16.16 fixed point. ffmpeg truncates toward zero (int cast),
#    e.g. 36.1993 -> 2372357 -> 36.199295; -70.6693 -> -4631383 -> -70.669296.
#    If no altitude is given, ffmpeg writes altitude 0 (indistinguishable from
#    sea level). Astronomical body is "earth", notes empty.
#  * exiftool reports `loci` as UserData:LocationInformation, a string like
#    "(none) Role=shooting Lat=36.19930 Lon=37.16269 Alt=0.00 Body=earth Notes="
#    (5 decimals even with -n), plus Composite:GPSLatitude/GPSLongitude/
#    GPSAltitude. It does NOT report it as GPSCoordinates (that is ©xyz ->
#    UserData:GPSCoordinates, or the mdta key -> Keys:GPSCoordinates).
#  * ffprobe re-formats `loci` as an ISO 6709 string "%+08.4f%+09.4f" (so it
#    ROUNDS to 4 decimals, hiding the 16.16 truncation) plus "%+f" altitude
#    when non-zero, e.g. "-33.4489-070.6693+520.000000/"; it reports it twice,
#    as tags "location" and "location-eng".
#  * mvhd: ffmpeg writes version 0 (32-bit seconds since 1904-01-01 UTC); it only
#    switches to version 1 for long durations. Without creation_time the field
#    is 0: exiftool prints "0000:00:00 00:00:00", ffprobe prints no
#    creation_time tag -> treat as absent. exiftool prints mvhd times with no
#    zone (they are UTC; -api QuickTimeUTC would convert to local).
#  * `-movflags use_metadata_tags` writes ALL -metadata keys (even
#    "creation_time") as mdta keys; so creation_time is NOT passed to ffmpeg
#    for the MOV, the mvhd time is set afterwards with exiftool
#    -QuickTime:CreateDate (value taken as UTC). ffprobe shows the raw key
#    string "2024-11-29T14:03:00+0300"; exiftool normalises it to
#    "2024:11:29 14:03:00+03:00" (Keys:CreationDate).
#  * -fflags +bitexact drops the "Lavf.." encoder tag (©too) but also changes
#    the 3gp brand from 3gp6 to 3gp4. stsd compressor name stays "Lavc mpeg4";
#    hdlr name "VideoHandler" -- not metadata, but visible to ffprobe.
#  * even with -map_metadata -1 and nothing to write, ffmpeg's MP4 muxer emits an
#    EMPTY moov/udta/meta (hdlr "mdir") /ilst (8 bytes); "no metadata" means
#    no loci/©xyz/keys/ilst items and mvhd creation time 0.
#  * ffmpeg's mjpeg writes a "Lavc.." JPEG COM comment unless -bitexact.
#    ffmpeg TIFF "deflate" uses the obsolete compression code 32946, so LZW is
#    used. PNG: exiftool writes EXIF as an eXIf chunk (placed before IDAT).
#    WebP: exiftool converts to VP8X (flag 0x08) + "EXIF" chunk (no "Exif\0\0"
#    prefix).
#  * exiftool writes GPS lat/lon as DMS rationals (36/1 11/1 1437/25), exact for
#    4-decimal input; GPSAltitude 390/1, GPSHPositioningError 12/1.
#  * exiftool HTML reader: ignores <meta charset=...> and does not support
#    windows-1256 even via http-equiv (title comes out as "??? ? ??????");
#    it assumes UTF-8 otherwise, decodes ISO-8859-1 when declared via
#    http-equiv, and never reports <html lang>. check_media.py therefore
#    verifies the cp1256 title and lang by decoding the bytes itself.
set -euo pipefail

die() { echo "make_media.sh: $*" >&2; exit 1; }
[[ $# -eq 1 ]] || die "usage: make_media.sh OUTDIR"
for t in ffmpeg ffprobe exiftool; do
  command -v "$t" >/dev/null 2>&1 || die "required tool '$t' not found in PATH"
done

OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export LC_ALL=C TZ=UTC

FFMPEG=(ffmpeg -nostdin -hide_banner -loglevel error -y)
# 64x48 single frame, bit-exact, no container metadata.
IMG_IN=(-f lavfi -i "testsrc=size=64x48:rate=1" -frames:v 1 -map_metadata -1
        -flags +bitexact -fflags +bitexact)
# 64x48, 5 frames = 1.0 s, MPEG-4 part 2 (native, deterministic), no metadata.
VID_IN=(-f lavfi -i "testsrc=size=64x48:rate=5" -t 1 -c:v mpeg4 -q:v 8
        -threads 1 -pix_fmt yuv420p -map_metadata -1
        -flags +bitexact -fflags +bitexact)
# exiftool/ffprobe each cost ~0.1-0.25 s to start, so: (1) create all files with
# ffmpeg, (2) apply all exiftool edits in ONE exiftool run (-execute),
# (3) read everything back with ONE exiftool run + one ffprobe run per video.
ET_WRITE=()
etw() {                                                   # file exiftool-args...
  local f=$1; shift
  (( ${#ET_WRITE[@]} )) && ET_WRITE+=(-execute)
  ET_WRITE+=("$@" "$f")
}

J=$OUT/jpeg_exif_full_aleppo.jpg
J2=$OUT/jpeg_exif_neg_coords_santiago.jpg
J3=$OUT/jpeg_exif_local_time_only.jpg
J0=$OUT/jpeg_no_metadata.jpg
PNG=$OUT/png_exif_gps.png  WEBP=$OUT/webp_exif_gps.webp  TIFF=$OUT/tiff_exif_gps.tiff
XYZ=$OUT/mp4_xyz_mvhd.mp4
LOCI=$OUT/mp4_loci_ffmpeg.mp4
MOV=$OUT/mov_apple_keys.mov
GP3=$OUT/3gp_loci_neg_coords.3gp
M0=$OUT/mp4_no_metadata.mp4
H1=$OUT/html_ar_cp1256_meta_charset.html
H2=$OUT/html_ar_utf8_meta_charset.html
H3=$OUT/html_latin1_http_equiv.html

# ---------- 1. JPEG, full EXIF (Aleppo citadel) --------------------------------
"${FFMPEG[@]}" "${IMG_IN[@]}" "$J"
etw "$J" -EXIF:Make=Canon "-EXIF:Model=Canon EOS R6" \
  "-EXIF:DateTimeOriginal=2024:11:29 14:03:00" -EXIF:OffsetTimeOriginal=+03:00 \
  -EXIF:SubSecTimeOriginal=250 \
  -EXIF:GPSLatitude=36.1993 -EXIF:GPSLatitudeRef=N \
  -EXIF:GPSLongitude=37.1627 -EXIF:GPSLongitudeRef=E \
  -EXIF:GPSAltitude=390 -EXIF:GPSAltitudeRef=0 -EXIF:GPSHPositioningError=12 \
  -EXIF:GPSDateStamp=2024:11:29 -EXIF:GPSTimeStamp=11:03:00

# ---------- 2. JPEG, negative coords (S/W), negative offset, no subsec --------
"${FFMPEG[@]}" "${IMG_IN[@]}" "$J2"
etw "$J2" -EXIF:Make=Google "-EXIF:Model=Pixel 7" \
  "-EXIF:DateTimeOriginal=2024:06:15 09:30:00" -EXIF:OffsetTimeOriginal=-04:00 \
  -EXIF:GPSLatitude=33.4489 -EXIF:GPSLatitudeRef=S \
  -EXIF:GPSLongitude=70.6693 -EXIF:GPSLongitudeRef=W

# ---------- 3. JPEG, DateTimeOriginal only (no offset, no GPS) ----------------
"${FFMPEG[@]}" "${IMG_IN[@]}" "$J3"
etw "$J3" "-EXIF:Make=NIKON CORPORATION" "-EXIF:Model=NIKON D750" \
  "-EXIF:DateTimeOriginal=2023:03:05 08:07:06"

# ---------- 4. JPEG, no metadata at all ---------------------------------------
"${FFMPEG[@]}" "${IMG_IN[@]}" "$J0"
etw "$J0" -all=

# ---------- 5. PNG (eXIf) / WebP (EXIF chunk) / TIFF (IFD0) with EXIF ----------
"${FFMPEG[@]}" "${IMG_IN[@]}" "$PNG"
"${FFMPEG[@]}" "${IMG_IN[@]}" -c:v libwebp -lossless 1 "$WEBP"
"${FFMPEG[@]}" "${IMG_IN[@]}" -compression_algo lzw "$TIFF"
for f in "$PNG" "$WEBP" "$TIFF"; do
  etw "$f" "-EXIF:DateTimeOriginal=2024:11:29 14:03:00" -EXIF:OffsetTimeOriginal=+03:00 \
    -EXIF:GPSLatitude=36.1993 -EXIF:GPSLatitudeRef=N \
    -EXIF:GPSLongitude=37.1627 -EXIF:GPSLongitudeRef=E
done

# ---------- 6. MP4 with ©xyz (written by exiftool) + mvhd creation time --------
"${FFMPEG[@]}" "${VID_IN[@]}" -metadata creation_time=2024-11-29T11:03:00Z -f mp4 "$XYZ"
etw "$XYZ" "-UserData:GPSCoordinates=36.1993, 37.1627, 390"

# ---------- 7. MP4 where ffmpeg itself wrote the location (-> loci!) ----------
"${FFMPEG[@]}" "${VID_IN[@]}" -metadata creation_time=2024-11-29T11:03:00Z \
  -metadata location=+36.1993+037.1627/ -f mp4 "$LOCI"

# ---------- 8. MOV with Apple mdta keys (+ mvhd set by exiftool) ---------------
"${FFMPEG[@]}" "${VID_IN[@]}" -movflags use_metadata_tags \
  -metadata com.apple.quicktime.location.ISO6709=+36.1993+037.1627+390.000/ \
  -metadata com.apple.quicktime.creationdate=2024-11-29T14:03:00+0300 \
  -metadata com.apple.quicktime.make=Apple \
  -metadata "com.apple.quicktime.model=iPhone 15 Pro" -f mov "$MOV"
etw "$MOV" "-QuickTime:CreateDate=2024:11:29 11:03:00"

# ---------- 9. 3GP with loci, negative coordinates + altitude -----------------
"${FFMPEG[@]}" "${VID_IN[@]}" -metadata creation_time=2024-06-15T13:30:00Z \
  -metadata location=-33.4489-070.6693+520/ -f 3gp "$GP3"

# ---------- 10. MP4 without any metadata ---------------------------------------
"${FFMPEG[@]}" "${VID_IN[@]}" -f mp4 "$M0"

# ---------- 11. HTML -----------------------------------------------------------
# Title "حلب — القلعة" encoded in windows-1256 (em dash = 0x97).
printf '<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>\n<meta charset="windows-1256">\n<title>\xcd\xe1\xc8 \x97 \xc7\xe1\xde\xe1\xda\xc9</title>\n</head>\n<body><p>\xcd\xe1\xc8</p></body>\n</html>\n' >"$H1"
printf '<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>\n<meta charset="utf-8">\n<title>%s</title>\n</head>\n<body><p>%s</p></body>\n</html>\n' \
  'حلب — القلعة' 'حلب' >"$H2"
# Title "Café Zürich" in ISO-8859-1, charset declared via http-equiv.
printf '<html lang="de">\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">\n<title>Caf\xe9 Z\xfcrich</title>\n</head>\n<body></body>\n</html>\n' >"$H3"

# ---------- apply all exiftool edits in one run ----------------------------------
exiftool "${ET_WRITE[@]}" -common_args -q -q -overwrite_original

# ---------- read back --------------------------------------------------------------
ALL=("$J" "$J2" "$J3" "$J0" "$PNG" "$WEBP" "$TIFF" "$XYZ" "$LOCI" "$MOV" "$GP3" "$M0" "$H1" "$H2" "$H3")
ET_DUMP=$(exiftool -n -G1 -a -args "${ALL[@]}")
et() {                                           # file Group:Tag -> value ("" if absent)
  awk -v hdr="======== $1" -v k="-$2=" '
    $0 == hdr { inside = 1; next }  /^======== / { inside = 0 }
    inside && index($0, k) == 1 { print substr($0, length(k) + 1); exit }' <<<"$ET_DUMP"
}
groups() {                                       # file -> metadata groups present
  awk -v hdr="======== $1" '
    $0 == hdr { inside = 1; next }  /^======== / { inside = 0 }
    inside { sub(/^-/, ""); sub(/:.*/, ""); print }' <<<"$ET_DUMP" |
    sort -u | grep -v -x -E 'ExifTool|System|File|Composite|Track[0-9]+|QuickTime' | tr '\n' ' ' || true
}
declare -A FFP=()
fft() {                                          # file tag -> ffprobe format tag
  [[ -n ${FFP[$1]+x} ]] || FFP[$1]=$(ffprobe -v error -show_entries format_tags -of default=nw=1 "$1")
  awk -v k="TAG:$2=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' <<<"${FFP[$1]}"
}
boxes(){ { grep -a -o -F "$2" "$1" || true; } | wc -l | tr -d ' '; }    # file fourcc
is()   { [[ "$3" == "$4" ]] || die "$(basename "$1"): $2: tools report '$3', expected '$4'"; }

f=$J
is "$f" MIMEType          "$(et "$f" File:MIMEType)" image/jpeg
is "$f" DateTimeOriginal  "$(et "$f" ExifIFD:DateTimeOriginal)"   "2024:11:29 14:03:00"
is "$f" OffsetTimeOrig    "$(et "$f" ExifIFD:OffsetTimeOriginal)" "+03:00"
is "$f" SubSecTimeOrig    "$(et "$f" ExifIFD:SubSecTimeOriginal)" "250"
is "$f" SubSecDTO         "$(et "$f" Composite:SubSecDateTimeOriginal)" "2024:11:29 14:03:00.250+03:00"
is "$f" GPSLatitude       "$(et "$f" Composite:GPSLatitude)"  "36.1993"
is "$f" GPSLongitude      "$(et "$f" Composite:GPSLongitude)" "37.1627"
is "$f" GPSAltitude       "$(et "$f" GPS:GPSAltitude)"        "390"
is "$f" GPSAltitudeRef    "$(et "$f" GPS:GPSAltitudeRef)"     "0"
is "$f" GPSHPosError      "$(et "$f" GPS:GPSHPositioningError)" "12"
is "$f" GPSDateTime       "$(et "$f" Composite:GPSDateTime)"  "2024:11:29 11:03:00Z"
is "$f" Make              "$(et "$f" IFD0:Make)"  "Canon"
is "$f" Model             "$(et "$f" IFD0:Model)" "Canon EOS R6"

f=$J2
is "$f" DateTimeOriginal  "$(et "$f" ExifIFD:DateTimeOriginal)"   "2024:06:15 09:30:00"
is "$f" OffsetTimeOrig    "$(et "$f" ExifIFD:OffsetTimeOriginal)" "-04:00"
is "$f" SubSecTimeOrig    "$(et "$f" ExifIFD:SubSecTimeOriginal)" ""
is "$f" GPSLatitudeRef    "$(et "$f" GPS:GPSLatitudeRef)"  "S"
is "$f" GPSLongitudeRef   "$(et "$f" GPS:GPSLongitudeRef)" "W"
is "$f" GPSLatitude       "$(et "$f" Composite:GPSLatitude)"  "-33.4489"
is "$f" GPSLongitude      "$(et "$f" Composite:GPSLongitude)" "-70.6693"
is "$f" GPSAltitude       "$(et "$f" GPS:GPSAltitude)" ""
is "$f" Make              "$(et "$f" IFD0:Make)"  "Google"
is "$f" Model             "$(et "$f" IFD0:Model)" "Pixel 7"

f=$J3
is "$f" DateTimeOriginal  "$(et "$f" ExifIFD:DateTimeOriginal)"   "2023:03:05 08:07:06"
is "$f" OffsetTimeOrig    "$(et "$f" ExifIFD:OffsetTimeOriginal)" ""
is "$f" GPSLatitude       "$(et "$f" Composite:GPSLatitude)"      ""
is "$f" Make              "$(et "$f" IFD0:Make)"  "NIKON CORPORATION"

f=$J0
is "$f" MIMEType          "$(et "$f" File:MIMEType)" image/jpeg
is "$f" "metadata groups" "$(groups "$f")" ""

for f in "$PNG" "$WEBP" "$TIFF"; do
  is "$f" DateTimeOriginal "$(et "$f" ExifIFD:DateTimeOriginal)"   "2024:11:29 14:03:00"
  is "$f" OffsetTimeOrig   "$(et "$f" ExifIFD:OffsetTimeOriginal)" "+03:00"
  is "$f" GPSLatitude      "$(et "$f" Composite:GPSLatitude)"  "36.1993"
  is "$f" GPSLongitude     "$(et "$f" Composite:GPSLongitude)" "37.1627"
done
is "$PNG"  "eXIf chunks" "$(boxes "$PNG" eXIf)"  1
is "$WEBP" "EXIF chunks" "$(boxes "$WEBP" EXIF)" 1

f=$XYZ
is "$f" "©xyz boxes"      "$(boxes "$f" $'\xa9xyz')" 1
is "$f" "loci boxes"      "$(boxes "$f" loci)" 0
is "$f" mvhd-version      "$(et "$f" QuickTime:MovieHeaderVersion)" 0
is "$f" CreateDate        "$(et "$f" QuickTime:CreateDate)"    "2024:11:29 11:03:00"
is "$f" GPSCoordinates    "$(et "$f" UserData:GPSCoordinates)" "36.1993 37.1627 390"
is "$f" ffprobe:creation  "$(fft "$f" creation_time)" "2024-11-29T11:03:00.000000Z"
is "$f" ffprobe:location  "$(fft "$f" location)"      "+36.1993+037.1627+390.000/"

f=$LOCI
is "$f" "©xyz boxes"      "$(boxes "$f" $'\xa9xyz')" 0
is "$f" "loci boxes"      "$(boxes "$f" loci)" 1
is "$f" LocationInfo      "$(et "$f" UserData:LocationInformation)" \
   "(none) Role=shooting Lat=36.19930 Lon=37.16269 Alt=0.00 Body=earth Notes="
is "$f" mvhd-version      "$(et "$f" QuickTime:MovieHeaderVersion)" 0
is "$f" CreateDate        "$(et "$f" QuickTime:CreateDate)" "2024:11:29 11:03:00"
is "$f" ffprobe:creation  "$(fft "$f" creation_time)" "2024-11-29T11:03:00.000000Z"
is "$f" ffprobe:location  "$(fft "$f" location)" "+36.1993+037.1627/"

f=$MOV
is "$f" "keys boxes"      "$(boxes "$f" keys)" 1
is "$f" mvhd-version      "$(et "$f" QuickTime:MovieHeaderVersion)" 0
is "$f" CreateDate        "$(et "$f" QuickTime:CreateDate)"  "2024:11:29 11:03:00"
is "$f" Keys:CreationDate "$(et "$f" Keys:CreationDate)"     "2024:11:29 14:03:00+03:00"
is "$f" Keys:GPSCoord     "$(et "$f" Keys:GPSCoordinates)"   "36.1993 37.1627 390"
is "$f" Keys:Make         "$(et "$f" Keys:Make)"  "Apple"
is "$f" Keys:Model        "$(et "$f" Keys:Model)" "iPhone 15 Pro"
is "$f" ffprobe:creationdate "$(fft "$f" com.apple.quicktime.creationdate)"  "2024-11-29T14:03:00+0300"
is "$f" ffprobe:ISO6709   "$(fft "$f" com.apple.quicktime.location.ISO6709)" "+36.1993+037.1627+390.000/"
is "$f" ffprobe:creation  "$(fft "$f" creation_time)" "2024-11-29T11:03:00.000000Z"

f=$GP3
is "$f" MIMEType          "$(et "$f" File:MIMEType)" video/3gpp
is "$f" "loci boxes"      "$(boxes "$f" loci)" 1
is "$f" LocationInfo      "$(et "$f" UserData:LocationInformation)" \
   "(none) Role=shooting Lat=-33.44890 Lon=-70.66930 Alt=520.00 Body=earth Notes="
is "$f" CreateDate        "$(et "$f" QuickTime:CreateDate)" "2024:06:15 13:30:00"
is "$f" ffprobe:location  "$(fft "$f" location)" "-33.4489-070.6693+520.000000/"
is "$f" ffprobe:creation  "$(fft "$f" creation_time)" "2024-06-15T13:30:00.000000Z"

f=$M0
is "$f" CreateDate        "$(et "$f" QuickTime:CreateDate)" "0000:00:00 00:00:00"
is "$f" "loci/©xyz/keys boxes" "$(( $(boxes "$f" loci) + $(boxes "$f" $'\xa9xyz') + $(boxes "$f" keys) ))" 0
is "$f" "metadata groups" "$(groups "$f")" ""
is "$f" ffprobe:creation  "$(fft "$f" creation_time)" ""
is "$f" ffprobe:location  "$(fft "$f" location)" ""

is "$H1" FileType         "$(et "$H1" File:FileType)" HTML
is "$H2" HTML:Title       "$(et "$H2" HTML:Title)" 'حلب — القلعة'
is "$H3" HTML:Title       "$(et "$H3" HTML:Title)" 'Café Zürich'
is "$H3" ContentType      "$(et "$H3" HTTP-equiv:ContentType)" 'text/html; charset=ISO-8859-1'

# ---------- expected.json ------------------------------------------------------
FFV=$(ffmpeg -version | awk 'NR==1{print $3}')
ETV=$(exiftool -ver)
cat >"$OUT/expected.json" <<EOF
{
  "tools": {"ffmpeg": "$FFV", "exiftool": "$ETV"},
  "conventions": {
    "capture_time.local": "wall-clock time as recorded, YYYY-MM-DDTHH:MM:SS[.fff]; null if the container only has a UTC instant",
    "capture_time.offset": "UTC offset recorded with it, or null if none recorded",
    "capture_time.utc": "RFC 3339 instant if determinable (offset known, or the field is UTC by definition like mvhd), else null",
    "location": "decimal degrees, signed (S/W negative); altitude metres (negative = below sea level); compare with tolerance 1e-4 deg",
    "null": "value must be reported as absent"
  },
  "files": {
    "jpeg_exif_full_aleppo.jpg": {
      "media_type": "image/jpeg",
      "capture_time": {"local": "2024-11-29T14:03:00.250", "offset": "+03:00", "utc": "2024-11-29T11:03:00.250Z"},
      "gps_time_utc": "2024-11-29T11:03:00Z",
      "location": {"lat": 36.1993, "lon": 37.1627, "altitude": 390.0, "accuracy_m": 12.0},
      "make": "Canon",
      "model": "Canon EOS R6",
      "source": {"capture_time": "EXIF", "gps_time_utc": "EXIF GPS", "location": "EXIF GPS", "make": "EXIF", "model": "EXIF"},
      "notes": "DateTimeOriginal + OffsetTimeOriginal + SubSecTimeOriginal(250); GPSLatitudeRef N, GPSLongitudeRef E, GPSAltitudeRef 0, GPSHPositioningError 12, GPSDateStamp/GPSTimeStamp"
    },
    "jpeg_exif_neg_coords_santiago.jpg": {
      "media_type": "image/jpeg",
      "capture_time": {"local": "2024-06-15T09:30:00", "offset": "-04:00", "utc": "2024-06-15T13:30:00Z"},
      "location": {"lat": -33.4489, "lon": -70.6693, "altitude": null, "accuracy_m": null},
      "make": "Google",
      "model": "Pixel 7",
      "source": {"capture_time": "EXIF", "location": "EXIF GPS", "make": "EXIF", "model": "EXIF"},
      "notes": "GPSLatitudeRef S, GPSLongitudeRef W (stored magnitudes are positive); no SubSecTimeOriginal"
    },
    "jpeg_exif_local_time_only.jpg": {
      "media_type": "image/jpeg",
      "capture_time": {"local": "2023-03-05T08:07:06", "offset": null, "utc": null},
      "location": null,
      "make": "NIKON CORPORATION",
      "model": "NIKON D750",
      "source": {"capture_time": "EXIF", "make": "EXIF", "model": "EXIF"},
      "notes": "no OffsetTime*, no GPS IFD: UTC instant is NOT determinable"
    },
    "jpeg_no_metadata.jpg": {
      "media_type": "image/jpeg",
      "capture_time": null, "location": null, "make": null, "model": null,
      "source": {},
      "notes": "exiftool -all= : no APP segments at all (not even JFIF)"
    },
    "png_exif_gps.png": {
      "media_type": "image/png",
      "capture_time": {"local": "2024-11-29T14:03:00", "offset": "+03:00", "utc": "2024-11-29T11:03:00Z"},
      "location": {"lat": 36.1993, "lon": 37.1627, "altitude": null, "accuracy_m": null},
      "make": null, "model": null,
      "source": {"capture_time": "EXIF", "location": "EXIF GPS"},
      "notes": "EXIF in a PNG eXIf chunk (before IDAT), big-endian TIFF header"
    },
    "webp_exif_gps.webp": {
      "media_type": "image/webp",
      "capture_time": {"local": "2024-11-29T14:03:00", "offset": "+03:00", "utc": "2024-11-29T11:03:00Z"},
      "location": {"lat": 36.1993, "lon": 37.1627, "altitude": null, "accuracy_m": null},
      "make": null, "model": null,
      "source": {"capture_time": "EXIF", "location": "EXIF GPS"},
      "notes": "RIFF WEBP: VP8X (flags 0x08) + VP8L + EXIF chunk (TIFF header directly, no Exif prefix)"
    },
    "tiff_exif_gps.tiff": {
      "media_type": "image/tiff",
      "capture_time": {"local": "2024-11-29T14:03:00", "offset": "+03:00", "utc": "2024-11-29T11:03:00Z"},
      "location": {"lat": 36.1993, "lon": 37.1627, "altitude": null, "accuracy_m": null},
      "make": null, "model": null,
      "source": {"capture_time": "EXIF", "location": "EXIF GPS"},
      "notes": "little-endian TIFF (II), LZW; ExifIFD and GPS IFD hang off IFD0"
    },
    "mp4_xyz_mvhd.mp4": {
      "media_type": "video/mp4",
      "capture_time": {"local": null, "offset": null, "utc": "2024-11-29T11:03:00Z"},
      "location": {"lat": 36.1993, "lon": 37.1627, "altitude": 390.0, "accuracy_m": null},
      "make": null, "model": null,
      "mvhd_version": 0,
      "xyz_string": "+36.1993+037.1627+390.000/",
      "source": {"capture_time": "mvhd", "location": "©xyz"},
      "notes": "ftyp isom; moov/udta/©xyz written by exiftool (16-bit len, lang 0); no loci"
    },
    "mp4_loci_ffmpeg.mp4": {
      "media_type": "video/mp4",
      "capture_time": {"local": null, "offset": null, "utc": "2024-11-29T11:03:00Z"},
      "location": {"lat": 36.1993, "lon": 37.1627, "altitude": 0.0, "accuracy_m": null},
      "loci_fixed_16_16": {"lon": 2435494, "lat": 2372357, "alt": 0},
      "make": null, "model": null,
      "mvhd_version": 0,
      "source": {"capture_time": "mvhd", "location": "loci"},
      "notes": "ffmpeg -f mp4 -metadata location=... writes moov/udta/loci, not ©xyz. Exact decoded values 36.199295/37.162689; altitude 0 because ffmpeg always writes one"
    },
    "mov_apple_keys.mov": {
      "media_type": "video/quicktime",
      "capture_time": {"local": "2024-11-29T14:03:00", "offset": "+03:00", "utc": "2024-11-29T11:03:00Z"},
      "mvhd_utc": "2024-11-29T11:03:00Z",
      "location": {"lat": 36.1993, "lon": 37.1627, "altitude": 390.0, "accuracy_m": null},
      "make": "Apple",
      "model": "iPhone 15 Pro",
      "mvhd_version": 0,
      "source": {"capture_time": "mdta keys", "mvhd_utc": "mvhd", "location": "mdta keys", "make": "mdta keys", "model": "mdta keys"},
      "notes": "ftyp 'qt  '; moov/meta (hdlr mdta) keys+ilst: com.apple.quicktime.{location.ISO6709,creationdate,make,model}; raw creationdate string '2024-11-29T14:03:00+0300' (no colon in offset)"
    },
    "3gp_loci_neg_coords.3gp": {
      "media_type": "video/3gpp",
      "capture_time": {"local": null, "offset": null, "utc": "2024-06-15T13:30:00Z"},
      "location": {"lat": -33.4489, "lon": -70.6693, "altitude": 520.0, "accuracy_m": null},
      "loci_fixed_16_16": {"lon": -4631383, "lat": -2192107, "alt": 34078720},
      "make": null, "model": null,
      "mvhd_version": 0,
      "source": {"capture_time": "mvhd", "location": "loci"},
      "notes": "ftyp 3gp4 (bitexact); exact decoded values -33.448898/-70.669296/520"
    },
    "mp4_no_metadata.mp4": {
      "media_type": "video/mp4",
      "capture_time": null, "location": null, "make": null, "model": null,
      "mvhd_version": 0,
      "source": {},
      "notes": "mvhd creation_time == 0 (1904-01-01) must be treated as absent; ffmpeg still writes an EMPTY moov/udta/meta(hdlr mdir)/ilst"
    },
    "html_ar_cp1256_meta_charset.html": {
      "media_type": "text/html",
      "title": "حلب — القلعة",
      "charset": "windows-1256",
      "language": "ar",
      "source": {"title": "<title>", "charset": "<meta charset>", "language": "<html lang>"},
      "notes": "title bytes are windows-1256 (em dash 0x97); exiftool 12.57 cannot decode this (prints ???), verified by decoding bytes"
    },
    "html_ar_utf8_meta_charset.html": {
      "media_type": "text/html",
      "title": "حلب — القلعة",
      "charset": "utf-8",
      "language": "ar",
      "source": {"title": "<title>", "charset": "<meta charset>", "language": "<html lang>"}
    },
    "html_latin1_http_equiv.html": {
      "media_type": "text/html",
      "title": "Café Zürich",
      "charset": "ISO-8859-1",
      "language": "de",
      "source": {"title": "<title>", "charset": "<meta http-equiv>", "language": "<html lang>"}
    }
  }
}
EOF
echo "make_media.sh: wrote ${#ALL[@]} media files + expected.json to $OUT"
