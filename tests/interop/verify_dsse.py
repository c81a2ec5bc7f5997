"""Verify custody's DSSE envelopes with securesystemslib, an independent
implementation. Input (stdin): JSON {"keys": {keyid: public_hex},
"envelopes": [envelope, ...], "expect_valid": bool, "threshold": N
(signatures needed, default 1)}. Prints one line per
envelope and exits 0 only if every envelope's outcome matches expect_valid.
"""
import json
import sys

from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from securesystemslib.signer._utils import compute_default_keyid

req = json.load(sys.stdin)
keys = []
for keyid, public in req["keys"].items():
    keyval = {"public": public}
    computed = compute_default_keyid("ed25519", "ed25519", keyval)
    if computed != keyid:
        print(f"keyid mismatch: custody {keyid}, securesystemslib {computed}")
        sys.exit(1)
    keys.append(SSlibKey(keyid, "ed25519", "ed25519", keyval))

ok = True
for raw in req["envelopes"]:
    env = Envelope.from_dict(raw)
    try:
        env.verify(keys, req.get("threshold", 1))
        stmt = json.loads(env.payload)
        valid = (
            env.payload_type == "application/vnd.in-toto+json"
            and stmt["_type"] == "https://in-toto.io/Statement/v1"
            and set(stmt["subject"][0]["digest"]) == {"blake3", "sha256"}
            and all(s.keyid for s in env.signatures.values())
        )
    except Exception as e:  # VerificationError and friends
        print(f"rejected: {type(e).__name__}: {e}")
        valid = False
    print("valid" if valid else "invalid")
    ok = ok and (valid == req["expect_valid"])
sys.exit(0 if ok else 1)
