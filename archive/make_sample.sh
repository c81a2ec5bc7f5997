#!/usr/bin/env bash
# Regenerates the media of the sample collection (photos and video) with
# ImageMagick, exiftool and ffmpeg. The committed files are the reference;
# re-running this produces equivalent, not byte-identical, files.
set -euo pipefail
cd "$(dirname "$0")/sample"
IM=/usr/bin/convert

photo() { # name label seed datetime offset lat lon alt make model
    "$IM" -seed "$3" -size 320x240 plasma:tan-sienna -blur 0x1 \
        -gravity south -fill white -pointsize 14 -annotate +0+8 "$2" \
        -quality 85 "photos/$1"
    exiftool -q -overwrite_original \
        -Make="$8" -Model="$9" \
        -DateTimeOriginal="$4" -CreateDate="$4" -OffsetTimeOriginal="$5" -SubSecTimeOriginal=250 \
        -GPSLatitude="$6" -GPSLatitudeRef=N -GPSLongitude="$7" -GPSLongitudeRef=E \
        -GPSAltitude="${10}" -GPSAltitudeRef=0 "photos/$1"
}
photo IMG_20241129_163012.jpg "citadel gate, 29 Nov 2024 (sample)" 11 "2024:11:29 16:30:12" +03:00 36.19930 37.16280 Apple "iPhone 13 Pro" 410
photo IMG_20241130_091544.jpg "citadel moat bridge (sample)" 12 "2024:11:30 09:15:44" +03:00 36.19905 37.16312 samsung SM-A515F 405
photo IMG_20241130_112201.jpg "central square (sample)" 13 "2024:11:30 11:22:01" +03:00 36.20210 37.15530 Xiaomi "Redmi Note 9" 398

ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=320x240:rate=15" -f lavfi -i "sine=frequency=440:sample_rate=22050" -t 3 \
    -c:v libx264 -preset veryfast -b:v 300k -c:a aac -b:a 32k -ac 1 -pix_fmt yuv420p \
    -metadata creation_time=2024-11-30T08:41:07.000000Z -metadata location=+36.1993+037.1628/ \
    -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -movflags +faststart \
    video/VID_20241130_114107.mp4
