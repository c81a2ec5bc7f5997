"""Validate the in-toto Statements inside custody's DSSE envelopes with the
official in-toto-attestation Python bindings (PyPI in-toto-attestation),
an independent implementation. Signatures are not checked here (see
verify_dsse.py). Input (stdin): JSON {"envelopes": [envelope, ...],
"expect_valid": bool}. Prints one line per envelope, "valid" or
"invalid: <reason>", and exits 0 only if every envelope's outcome matches
expect_valid. If the bindings are missing it exits 2: an interop check that
cannot run must never pass.

Layers, in order:
1. the envelope's payloadType and base64 payload;
2. google.protobuf.json_format.Parse into statement_pb2.Statement with
   ignore_unknown_fields=False (rejects unknown fields, duplicate keys,
   non-string digest values);
3. in_toto_attestation.v1.statement.Statement.validate() (type URI, at least
   one subject, each subject has a digest, predicateType and a non-empty
   predicate);
4. checks the Python bindings leave out: the raw JSON must use the
   Statement's JSON names ("_type", "predicateType", ...; json_format also
   accepts proto names such as "type" and "predicate_type", and null), and
   digest values are checked as the Go bindings do (hex, right length, for
   the fixed-size algorithms they know), plus lowercase hex as the spec's
   DigestSet asks, and custody's own blake3 (32 bytes).
"""
import base64
import binascii
import json
import sys

try:
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement
except ImportError as e:
    print(
        f"validate_statement.py: cannot import the in-toto-attestation bindings ({e}); "
        "install with: pip install 'in-toto-attestation>=0.9'",
        file=sys.stderr,
    )
    sys.exit(2)

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
STATEMENT_KEYS = {"_type", "subject", "predicateType", "predicate"}
SUBJECT_KEYS = {
    "name", "uri", "digest", "content", "downloadLocation", "mediaType", "annotations",
}
# Digest sizes in bytes: the Go bindings' table (go/v1/resource_descriptor.go)
# plus blake3, which custody always writes.
DIGEST_BYTES = {
    "md5": 16, "sha1": 20, "sha224": 28, "sha512_224": 28, "sha256": 32,
    "sha512_256": 32, "sha384": 48, "sha512": 64, "sha3_224": 28,
    "sha3_256": 32, "sha3_384": 48, "sha3_512": 64, "gitCommit": 20,
    "dirHash": 32, "blake3": 32,
}
HEX = set("0123456789abcdef")


def decode_payload(env):
    payload = env["payload"]
    if not isinstance(payload, str):
        raise ValueError("payload is not a string")
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error:
        pass
    try:  # DSSE also allows URL-safe base64
        return base64.b64decode(payload, altchars=b"-_", validate=True)
    except binascii.Error as e:
        raise ValueError(f"payload is not base64: {e}") from None


def check_raw(stmt):
    """What json_format and the Python validate() let through."""
    if not isinstance(stmt, dict):
        raise ValueError("statement is not a JSON object")
    if stmt.get("_type") != STATEMENT_TYPE:
        raise ValueError(f"_type is {stmt.get('_type')!r}, want {STATEMENT_TYPE!r}")
    extra = set(stmt) - STATEMENT_KEYS
    if extra:
        raise ValueError(f"statement has fields {sorted(extra)} (not Statement v1 JSON names)")
    for key in STATEMENT_KEYS:
        if key in stmt and stmt[key] is None:
            raise ValueError(f"{key} is null")
    if not isinstance(stmt.get("subject"), list):
        raise ValueError("subject is not a list")
    if not isinstance(stmt.get("predicate"), dict):
        raise ValueError("predicate is not an object")
    for i, sub in enumerate(stmt["subject"]):
        if not isinstance(sub, dict):
            raise ValueError(f"subject {i} is not an object")
        extra = set(sub) - SUBJECT_KEYS
        if extra:
            raise ValueError(f"subject {i} has fields {sorted(extra)} (not ResourceDescriptor JSON names)")
        digest = sub.get("digest")
        if not isinstance(digest, dict):
            raise ValueError(f"subject {i} digest is not an object")
        for alg, value in digest.items():
            if alg not in DIGEST_BYTES:
                continue  # custom algorithms are allowed, unchecked
            if not isinstance(value, str) or not value or not set(value) <= HEX:
                raise ValueError(f"subject {i} digest {alg} is not lowercase hex: {value!r}")
            if len(value) != 2 * DIGEST_BYTES[alg]:
                raise ValueError(
                    f"subject {i} digest {alg} has {len(value)} hex digits, want {2 * DIGEST_BYTES[alg]}"
                )


def validate(env):
    """Returns None if valid, else the reason."""
    try:
        if not isinstance(env, dict):
            return "envelope is not a JSON object"
        if env.get("payloadType") != PAYLOAD_TYPE:
            return f"payloadType is {env.get('payloadType')!r}, want {PAYLOAD_TYPE!r}"
        try:
            payload = decode_payload(env)
        except ValueError as e:
            return str(e)
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as e:
            return f"payload is not UTF-8: {e}"
        try:
            pb = json_format.Parse(text, statement_pb2.Statement(), ignore_unknown_fields=False)
        except json_format.ParseError as e:
            return f"in_toto_attestation parse: {e}"
        try:
            Statement.copy_from_pb(pb).validate()
        except ValueError as e:
            return f"in_toto_attestation validate: {e}"
        try:
            check_raw(json.loads(text))
        except ValueError as e:
            return f"statement: {e}"
        return None
    except Exception as e:  # anything unforeseen counts as invalid, with its name
        return f"{type(e).__name__}: {e}"


req = json.load(sys.stdin)
if not isinstance(req.get("expect_valid"), bool) or not isinstance(req.get("envelopes"), list):
    print("request needs envelopes (list) and expect_valid (bool)", file=sys.stderr)
    sys.exit(2)
if not req["envelopes"]:
    print("no envelopes to validate", file=sys.stderr)
    sys.exit(2)

ok = True
for raw in req["envelopes"]:
    reason = validate(raw)
    if reason is not None:
        reason = " ".join(reason.split())  # one line per envelope
    print("valid" if reason is None else f"invalid: {reason}")
    ok = ok and ((reason is None) == req["expect_valid"])
sys.exit(0 if ok else 1)
