"""The independent C2PA reading custody is checked against: c2pa-python.

  c2pa_check.py sign SRC DST CERTS KEY   sign SRC into DST with a manifest
                                         carrying a stds.exif assertion
  c2pa_check.py read DIR [ANCHORS.pem]   print, as JSON, what c2pa-python
                                         finds in every file of DIR (a
                                         NAME.c2pa beside NAME.jpg is used
                                         as its sidecar)
"""
import json
import pathlib
import sys

import c2pa


def sign(src, dst, certs, key):
    manifest = {
        "claim_generator_info": [{"name": "custody-test", "version": "1"}],
        "title": "citadel.jpg",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType":
                    "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}},
            # Names as the C2PA specification's stds.exif example has them.
            {"label": "stds.exif", "data": {
                "@context": {"exif": "http://ns.adobe.com/exif/1.0/",
                             "tiff": "http://ns.adobe.com/tiff/1.0/"},
                "exif:GPSLatitude": "36,11.958N",
                "exif:GPSLongitude": "37,9.72E",
                "exif:GPSAltitudeRef": 0,
                "exif:GPSAltitude": "420/1",
                "exif:GPSHPositioningError": "8/1",
                "exif:DateTimeOriginal": "2024-11-29T16:42:07+03:00",
                "tiff:Make": "CameraCompany",
                "tiff:Model": "Shooter S1"}},
        ],
    }
    info = c2pa.C2paSignerInfo(b"es256", open(certs, "rb").read(), open(key, "rb").read(), None)
    signer = c2pa.Signer.from_info(info)
    with open(src, "rb") as s, open(dst, "w+b") as d:
        c2pa.Builder(manifest).sign(signer, "image/jpeg", s, d)


def read(folder, anchors=None):
    settings = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchors:
        settings["trust"] = {"trust_anchors": open(anchors).read()}
    ctx = c2pa.Context(c2pa.Settings.from_dict(settings))
    out = {}
    for f in sorted(pathlib.Path(folder).iterdir()):
        if f.suffix == ".c2pa":
            continue
        side = f.with_suffix(".c2pa")
        fmt = "video/mp4" if f.suffix == ".mp4" else "image/jpeg"
        try:
            with open(f, "rb") as s:
                data = side.read_bytes() if side.exists() else None
                r = c2pa.Reader(fmt, s, manifest_data=data, context=ctx)
                d = json.loads(r.json())
        except Exception as e:  # no manifest: custody records none either
            out[f.name] = {"error": type(e).__name__}
            continue
        m = d["manifests"][d["active_manifest"]]
        sig = m.get("signature_info", {})
        failures = d["validation_results"]["activeManifest"]["failure"]
        actions = [a["action"] for x in m["assertions"] if x["label"].startswith("c2pa.actions")
                   for a in x["data"]["actions"]]
        out[f.name] = {
            "state": d["validation_state"].lower(),
            "failures": sorted(s["code"] for s in failures),
            "signer": sig.get("common_name"),
            "issuer": sig.get("issuer"),
            "signed_at": sig.get("time"),
            "actions": actions,
        }
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    if sys.argv[1] == "sign":
        sign(*sys.argv[2:6])
    else:
        read(*sys.argv[2:4])
