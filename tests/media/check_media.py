#!/usr/bin/env python3
"""check_media.py OUTDIR -- verify OUTDIR/expected.json (written by make_media.sh)
against what exiftool and ffprobe independently report for each file.

Python 3 stdlib only. Exits 0 if every expected value matches, 1 with one line
per mismatch otherwise, 2 on usage / missing tool. Coordinates are compared
with a tolerance of 1e-4 degrees, altitudes/accuracies with 1e-2 m.
"""
import datetime as dt
import json
import os
import re
import shutil
import struct
import subprocess
import sys

DEG_TOL = 1e-4
M_TOL = 1e-2
MIME = {"image/jpeg", "image/png", "image/webp", "image/tiff",
        "video/mp4", "video/quicktime", "video/3gpp", "text/html"}
# groups that exist in every file and carry no embedded metadata
NEUTRAL_GROUPS = {"ExifTool", "System", "File", "Composite", "QuickTime"}

errors = []


def fail(name, what, got, want):
    errors.append(f"{name}: {what}: tools report {got!r}, expected.json says {want!r}")


def eq(name, what, got, want):
    if got != want:
        fail(name, what, got, want)


def near(name, what, got, want, tol):
    if want is None or got is None:
        if got != want:
            fail(name, what, got, want)
    elif abs(float(got) - float(want)) > tol:
        fail(name, what, got, want)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"check_media.py: {' '.join(cmd[:3])}... failed: {p.stderr.decode(errors='replace')}")
    return p.stdout


# ---------------------------------------------------------------- parsing helpers
def parse_offset(s):
    """'+03:00' / '+0300' / 'Z' -> timedelta"""
    if s in ("Z", "z"):
        return dt.timedelta(0)
    m = re.fullmatch(r"([+-])(\d\d):?(\d\d)", s)
    if not m:
        raise ValueError(f"bad offset {s!r}")
    d = dt.timedelta(hours=int(m[2]), minutes=int(m[3]))
    return -d if m[1] == "-" else d


def norm_offset(s):
    d = parse_offset(s)
    sign = "-" if d < dt.timedelta(0) else "+"
    mins = abs(int(d.total_seconds())) // 60
    return f"{sign}{mins // 60:02d}:{mins % 60:02d}"


def parse_instant(s):
    """RFC 3339 / exiftool 'YYYY:MM:DD HH:MM:SS[.f][zone]' -> aware datetime (UTC if zone missing)"""
    m = re.fullmatch(r"(\d{4})[-:](\d\d)[-:](\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?", s)
    if not m:
        raise ValueError(f"bad date-time {s!r}")
    frac = m[7] or ""
    us = int((frac[1:] + "000000")[:6]) if frac else 0
    tz = dt.timezone(parse_offset(m[8])) if m[8] else dt.timezone.utc
    return dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), us, tz)


def local_str(s):
    """exiftool/ISO date-time -> 'YYYY-MM-DDTHH:MM:SS[.fff]' (zone dropped)"""
    m = re.fullmatch(r"(\d{4})[-:](\d\d)[-:](\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?.*", s)
    return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}{m[5] or ''}"


def iso6709(s):
    """'+36.1993+037.1627+390.000/' -> (lat, lon, alt|None); decimal-degree form only"""
    m = re.fullmatch(r"([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?(?:CRS[^/]*)?/?", s.strip())
    if not m:
        raise ValueError(f"bad ISO 6709 string {s!r}")
    return float(m[1]), float(m[2]), (float(m[3]) if m[3] else None)


def exif_coords(s):
    """exiftool -n 'lat lon [alt]' -> tuple"""
    v = [float(x) for x in str(s).split()]
    return v[0], v[1], (v[2] if len(v) > 2 else None)


def loci_box(path):
    """raw signed 16.16 (lon, lat, alt) from the first 'loci' box"""
    data = open(path, "rb").read()
    i = data.find(b"loci")
    if i < 0:
        return None
    p = i + 4 + 4 + 2                    # fourcc, version/flags, language
    p = data.index(b"\0", p) + 1         # name (NUL-terminated)
    p += 1                               # role
    return struct.unpack(">iii", data[p:p + 12])


def same_utc(name, what, got_str, want_str):
    try:
        if parse_instant(got_str) != parse_instant(want_str):
            fail(name, what, got_str, want_str)
    except ValueError as e:
        fail(name, what, got_str, f"{want_str} ({e})")


# ---------------------------------------------------------------- per-field checks
def check_capture_time(name, exp, et, ff):
    ct = exp.get("capture_time")
    src = exp.get("source", {}).get("capture_time")
    if ct is None:
        for k in ("ExifIFD:DateTimeOriginal", "ExifIFD:CreateDate", "IFD0:ModifyDate",
                  "Keys:CreationDate", "UserData:DateTimeOriginal"):
            if k in et:
                fail(name, f"{k} (should be absent)", et[k], None)
        qt = et.get("QuickTime:CreateDate")
        if qt not in (None, "0000:00:00 00:00:00"):
            fail(name, "mvhd creation time (should be 0/absent)", qt, None)
        if ff is not None and "creation_time" in ff:
            fail(name, "ffprobe creation_time (should be absent)", ff["creation_time"], None)
        return

    if src == "EXIF":
        dto = et.get("ExifIFD:DateTimeOriginal")
        if dto is None:
            return fail(name, "ExifIFD:DateTimeOriginal", None, ct)
        local = local_str(dto)
        sub = et.get("ExifIFD:SubSecTimeOriginal")
        if sub is not None:
            local += "." + str(sub)
        eq(name, "capture_time.local (DateTimeOriginal[+SubSecTimeOriginal])", local, ct["local"])
        off = et.get("ExifIFD:OffsetTimeOriginal")
        eq(name, "capture_time.offset (OffsetTimeOriginal)", off, ct["offset"])
        if off is not None:
            comp = et.get("Composite:SubSecDateTimeOriginal")
            if comp is None:
                fail(name, "Composite:SubSecDateTimeOriginal", None, ct["utc"])
            elif ct["utc"] is None:
                fail(name, "capture_time.utc", comp, None)
            else:
                same_utc(name, "capture_time.utc (Composite:SubSecDateTimeOriginal)", comp, ct["utc"])
        elif ct["utc"] is not None:
            fail(name, "capture_time.utc (no offset recorded -> must be null)", None, ct["utc"])
    elif src == "mvhd":
        eq(name, "capture_time.local (mvhd has none)", None, ct["local"])
        eq(name, "capture_time.offset (mvhd has none)", None, ct["offset"])
        qt = et.get("QuickTime:CreateDate")
        same_utc(name, "capture_time.utc (exiftool QuickTime:CreateDate = mvhd)", qt or "", ct["utc"])
        same_utc(name, "capture_time.utc (ffprobe creation_time)", ff.get("creation_time", ""), ct["utc"])
    elif src == "mdta keys":
        k = et.get("Keys:CreationDate")
        raw = ff.get("com.apple.quicktime.creationdate")
        if k is None or raw is None:
            return fail(name, "Keys:CreationDate / ffprobe com.apple.quicktime.creationdate", (k, raw), ct)
        for tool, v in (("exiftool Keys:CreationDate", k), ("ffprobe creationdate", raw)):
            eq(name, f"capture_time.local ({tool})", local_str(v), ct["local"])
            m = re.search(r"(Z|[+-]\d\d:?\d\d)$", v)
            eq(name, f"capture_time.offset ({tool})", norm_offset(m[1]) if m else None, ct["offset"])
            same_utc(name, f"capture_time.utc ({tool})", v, ct["utc"])
    else:
        fail(name, "source.capture_time", src, "EXIF | mvhd | mdta keys")

    if "mvhd_utc" in exp:
        same_utc(name, "mvhd_utc (exiftool QuickTime:CreateDate)", et.get("QuickTime:CreateDate", ""), exp["mvhd_utc"])
        same_utc(name, "mvhd_utc (ffprobe creation_time)", ff.get("creation_time", ""), exp["mvhd_utc"])
    if "gps_time_utc" in exp:
        same_utc(name, "gps_time_utc (Composite:GPSDateTime)", et.get("Composite:GPSDateTime", ""), exp["gps_time_utc"])


def check_location(name, path, exp, et, ff):
    loc = exp.get("location")
    src = exp.get("source", {}).get("location")
    if loc is None:
        for k in ("Composite:GPSLatitude", "GPS:GPSLatitude", "UserData:GPSCoordinates",
                  "Keys:GPSCoordinates", "UserData:LocationInformation"):
            if k in et:
                fail(name, f"{k} (should be absent)", et[k], None)
        if ff is not None:
            for k in ff:
                if "location" in k.lower() or "6709" in k:
                    fail(name, f"ffprobe {k} (should be absent)", ff[k], None)
        return

    readings = []   # (tool label, lat, lon, alt)
    if src == "EXIF GPS":
        lat, lon = et.get("Composite:GPSLatitude"), et.get("Composite:GPSLongitude")
        alt = et.get("GPS:GPSAltitude")
        if alt is not None and int(et.get("GPS:GPSAltitudeRef", 0)) == 1:
            alt = -float(alt)
        readings.append(("exiftool EXIF GPS", lat, lon, alt))
        # also the raw magnitude + ref form
        for axis, neg in (("Latitude", "S"), ("Longitude", "W")):
            mag, ref = et.get(f"GPS:GPS{axis}"), et.get(f"GPS:GPS{axis}Ref")
            want = loc["lat" if axis == "Latitude" else "lon"]
            if mag is None or ref is None:
                fail(name, f"GPS:GPS{axis}/Ref", (mag, ref), want)
            else:
                near(name, f"GPS:GPS{axis} with Ref {ref}", -float(mag) if ref == neg else float(mag), want, DEG_TOL)
        near(name, "location.accuracy_m (GPS:GPSHPositioningError)", et.get("GPS:GPSHPositioningError"),
             loc["accuracy_m"], M_TOL)
    elif src == "©xyz":
        if "UserData:GPSCoordinates" not in et:
            return fail(name, "UserData:GPSCoordinates (©xyz)", None, loc)
        readings.append(("exiftool UserData:GPSCoordinates", *exif_coords(et["UserData:GPSCoordinates"])))
        readings.append(("ffprobe location", *iso6709(ff.get("location", ""))))
        if "xyz_string" in exp:
            eq(name, "©xyz raw string (ffprobe location)", ff.get("location"), exp["xyz_string"])
    elif src == "loci":
        li = et.get("UserData:LocationInformation")
        m = re.search(r"Lat=(\S+) Lon=(\S+) Alt=(\S+)", li or "")
        if not m:
            return fail(name, "UserData:LocationInformation (loci)", li, loc)
        readings.append(("exiftool UserData:LocationInformation", float(m[1]), float(m[2]), float(m[3])))
        lat, lon, alt = iso6709(ff.get("location", ""))
        readings.append(("ffprobe location", lat, lon, 0.0 if alt is None else alt))  # ffprobe omits alt 0
        if "loci_fixed_16_16" in exp:
            raw = loci_box(path)
            fx = exp["loci_fixed_16_16"]
            eq(name, "loci raw 16.16 (lon, lat, alt)", raw, (fx["lon"], fx["lat"], fx["alt"]))
            if raw:
                readings.append(("loci bytes / 65536", raw[1] / 65536, raw[0] / 65536, raw[2] / 65536))
    elif src == "mdta keys":
        if "Keys:GPSCoordinates" not in et:
            return fail(name, "Keys:GPSCoordinates", None, loc)
        readings.append(("exiftool Keys:GPSCoordinates", *exif_coords(et["Keys:GPSCoordinates"])))
        readings.append(("ffprobe com.apple.quicktime.location.ISO6709",
                         *iso6709(ff.get("com.apple.quicktime.location.ISO6709", ""))))
    else:
        return fail(name, "source.location", src, "EXIF GPS | ©xyz | loci | mdta keys")

    for tool, lat, lon, alt in readings:
        near(name, f"location.lat ({tool})", lat, loc["lat"], DEG_TOL)
        near(name, f"location.lon ({tool})", lon, loc["lon"], DEG_TOL)
        near(name, f"location.altitude ({tool})", alt, loc["altitude"], M_TOL)
    if src != "EXIF GPS" and loc.get("accuracy_m") is not None:
        fail(name, "location.accuracy_m (container has no such field)", None, loc["accuracy_m"])


def check_make_model(name, exp, et, ff):
    src = exp.get("source", {})
    for field, tag in (("make", "Make"), ("model", "Model")):
        want = exp.get(field)
        if want is None:
            for k in (f"IFD0:{tag}", f"Keys:{tag}", f"UserData:{tag}"):
                if k in et:
                    fail(name, f"{k} (should be absent)", et[k], None)
            continue
        if src.get(field) == "EXIF":
            eq(name, f"{field} (IFD0:{tag})", et.get(f"IFD0:{tag}"), want)
        elif src.get(field) == "mdta keys":
            eq(name, f"{field} (Keys:{tag})", et.get(f"Keys:{tag}"), want)
            eq(name, f"{field} (ffprobe com.apple.quicktime.{field})", ff.get(f"com.apple.quicktime.{field}"), want)
        else:
            fail(name, f"source.{field}", src.get(field), "EXIF | mdta keys")


def check_html(name, path, exp, et):
    raw = open(path, "rb").read()
    src = exp.get("source", {})
    # charset, as declared in the bytes
    if src.get("charset") == "<meta charset>":
        m = re.search(rb'<meta\s+charset\s*=\s*["\']?([\w.:-]+)', raw, re.I)
    elif src.get("charset") == "<meta http-equiv>":
        m = re.search(rb'<meta\s+http-equiv\s*=\s*["\']?content-type["\']?\s+content\s*=\s*["\'][^"\']*charset=([\w.:-]+)',
                      raw, re.I)
        ct = et.get("HTTP-equiv:ContentType", "")
        cm = re.search(r"charset=([\w.:-]+)", ct)
        eq(name, "charset (exiftool HTTP-equiv:ContentType)", cm[1] if cm else None, exp["charset"])
    else:
        m = None
        fail(name, "source.charset", src.get("charset"), "<meta charset> | <meta http-equiv>")
    declared = m[1].decode("ascii") if m else None
    eq(name, "charset (declared in file)", declared, exp["charset"])
    # language
    lm = re.search(rb'<html[^>]*\slang\s*=\s*["\']?([\w-]+)', raw, re.I)
    eq(name, "language (<html lang>)", lm[1].decode("ascii") if lm else None, exp["language"])
    # title: decode the bytes with the declared charset (independent of exiftool) ...
    tm = re.search(rb"<title[^>]*>(.*?)</title>", raw, re.I | re.S)
    title = tm[1].decode(declared or "utf-8").strip() if tm else None
    eq(name, "title (<title> decoded with declared charset)", title, exp["title"])
    # ... and via exiftool, where exiftool 12.57 can decode the charset at all
    # (it ignores <meta charset>, assumes UTF-8, and knows no windows-1256).
    if declared and declared.lower() in ("utf-8", "iso-8859-1"):
        eq(name, "title (exiftool HTML:Title)", et.get("HTML:Title"), exp["title"])


# ---------------------------------------------------------------- main
def main():
    if len(sys.argv) != 2:
        print("usage: check_media.py OUTDIR", file=sys.stderr)
        return 2
    for tool in ("exiftool", "ffprobe"):
        if shutil.which(tool) is None:
            print(f"check_media.py: required tool '{tool}' not found in PATH", file=sys.stderr)
            return 2
    out = sys.argv[1]
    with open(os.path.join(out, "expected.json"), encoding="utf-8") as fh:
        expected = json.load(fh)["files"]
    paths = [os.path.join(out, n) for n in expected]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        print("check_media.py: missing files: " + ", ".join(missing), file=sys.stderr)
        return 1
    et_all = {os.path.basename(d["SourceFile"]): d
              for d in json.loads(run(["exiftool", "-n", "-j", "-G1", "-a", *paths]))}

    for name, exp in expected.items():
        path = os.path.join(out, name)
        et = et_all[name]
        mt = exp.get("media_type")
        if mt not in MIME:
            fail(name, "media_type", mt, sorted(MIME))
        eq(name, "media_type (exiftool File:MIMEType)", et.get("File:MIMEType"), mt)
        if mt == "text/html":
            check_html(name, path, exp, et)
            continue
        ff = None
        if mt.startswith("video/"):
            ff = json.loads(run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path]))
            ff = ff.get("format", {}).get("tags", {})
            if "mvhd_version" in exp:
                eq(name, "mvhd_version (QuickTime:MovieHeaderVersion)", et.get("QuickTime:MovieHeaderVersion"),
                   exp["mvhd_version"])
        check_capture_time(name, exp, et, ff)
        check_location(name, path, exp, et, ff)
        check_make_model(name, exp, et, ff)
        if all(exp.get(k) is None for k in ("capture_time", "location", "make", "model")):
            extra = sorted({k.split(":")[0] for k in et if ":" in k} - NEUTRAL_GROUPS
                           - {g for g in (k.split(":")[0] for k in et) if g.startswith("Track")})
            eq(name, "metadata groups present (should be none)", extra, [])

    if errors:
        print(f"check_media.py: {len(errors)} mismatch(es) in {out}:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print(f"check_media.py: all {len(expected)} files in {out} match expected.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
