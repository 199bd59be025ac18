#!/usr/bin/env python3
"""Writes the small seed corpus under fuzz/corpus/<target>/ (deterministic; run from anywhere).

No real token is pasted anywhere: the dotted base64 strings below are look-alikes built here
from tiny JSON headers and payloads with a junk "signature", just enough for the fuzzer to start
from inputs that reach the JWT, credential and pattern paths. Regenerate after editing:

    python3 fuzz/make_seeds.py
"""

import base64
import json
import pathlib
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"


def b64(obj) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def lookalike(header, payload, sig="c2ln") -> str:
    """header.payload.sig: a dotted base64url string shaped like a compact JWS."""
    return ".".join([b64(header), b64(payload), sig])


JWS = lookalike({"alg": "HS256", "typ": "JWT"}, {"sub": "u1", "iss": "https://idp.example", "n": 1})
UNSECURED = lookalike({"alg": "none"}, {"sub": "u2"}, "")
JWE = ".".join([b64({"alg": "dir", "enc": "A128GCM"}), "", b64(b"iv"), b64(b"ct"), b64(b"tag")])
NOT_OBJECT = lookalike({"alg": "HS256"}, [1, 2, 3])
SPACED = ".".join([b64(b'{ "alg" : "RS256" }'), b64(b'{\n "sub": "x"\n}'), "c2ln"])

LINES = [
    b"GET /cb?access_token=abc123&state=1 HTTP/1.1",
    b"Authorization: Bearer abc123def456",
    b"authorization: basic dXNlcjpwdw==",
    b'{"level":"info","password":"p\\"w","token":12345,"nested":{"secret":"s"}}',
    b'msg="{\\"id_token\\":\\"abc\\"}" user=bob',
    b"Cookie: session=abc; theme=dark; csrftoken=q",
    b"x=https%3A%2F%2Fh%3Faccess_token%3Dabc%26y Bearer%20tok",
    b"key ghp_" + b"0123456789" * 4 + b" AKIA" + b"ABCDEFGHIJKLMNOP" + b" ya29." + b"a" * 24,
    ("Authorization: Bearer " + JWS).encode(),
    ("id_token=" + UNSECURED + "&x=1").encode(),
    ('{"jwe":"' + JWE + '"}').encode(),
    ("t " + NOT_OBJECT + " " + SPACED).encode(),
    b"version 1.2.3 on example.com eyJ.foo.bar",
    b"WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\"",
    b"password=[REDACTED] token=***",
]

RULES_SEEDS = {
    "default.toml": (ROOT.parent / "rules" / "default.toml").read_bytes(),
    "small.toml": b'[markers]\nredacted = "X"\n[[secret_keys]]\nnames = ["pw"]\naction = "mask:2"\n',
    "bad_regex.toml": b'[[patterns]]\nname = "p"\nregex = "(unclosed"\n',
    "bad_action.toml": b'[bearer]\naction = "mask2"\n[jwt.claims]\nsub = "hash"\n',
}


def write(target: str, name: str, data: bytes) -> None:
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def main() -> None:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    for i, line in enumerate(LINES):
        write("scrub_line", f"line{i:02}", line)
    # scrub_stream: 4 read-size bytes, 1 repeat byte, then the body.
    body = b"\n".join(LINES) + b"\n"
    write("scrub_stream", "lines_whole", bytes([3, 3, 3, 3, 0]) + body)
    write("scrub_stream", "lines_trickle", bytes([0, 4, 1, 2, 0]) + body)
    write("scrub_stream", "long_line", bytes([2, 3, 1, 0, 0xC8]) + b"pad " + JWS.encode() + b" ")
    write("scrub_stream", "long_run", bytes([3, 2, 3, 1, 0xFF]) + b"Aa0_")
    # jwt_parse: a little-endian u16 offset, then the haystack.
    for i, t in enumerate([JWS, UNSECURED, JWE, NOT_OBJECT, SPACED]):
        write("jwt_parse", f"tok{i}", struct.pack("<H", 2) + b"x " + t.encode() + b". y")
    for name, data in RULES_SEEDS.items():
        write("rules_parse", name, data)


if __name__ == "__main__":
    main()
