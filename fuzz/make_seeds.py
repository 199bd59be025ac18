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


# Format targets (check_format in src/lib.rs): a control byte (bit 7: a small CRI cap), then
# lines; a line starting with \x01..\x04 is wrapped into the format by the target itself.
TIME = b"2024-05-01T10:00:00.000000001Z"


def go(s: str) -> bytes:
    """A JSON string body as Go's encoding/json (Docker's json-file driver) writes it."""
    out = json.dumps(s, ensure_ascii=False)[1:-1]
    for c, e in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        out = out.replace(c, e)
    return out.encode()


def docker(msg: str, nl: bool = True) -> bytes:
    log = go(msg + ("\n" if nl else ""))
    return b'{"log":"' + log + b'","stream":"stdout","time":"' + TIME + b'"}'


def cri(stream: str, tag: str, msg: bytes) -> bytes:
    return TIME + b" " + stream.encode() + b" " + tag.encode() + b" " + msg


BEARER = "Authorization: Bearer " + JWS
APP_JSON = json.dumps({"user": "bob", "password": "p\"w", "id_token": JWS}, separators=(",", ":"))
FORMAT_SEEDS = {
    "format_json": {
        "objects": b"\x00" + b"\n".join([
            b'{"level":"info","password":"hunter2","msg":"GET /cb?access_token=abc&x=1"}',
            b'{"user":{"ssn":"123-45-6789","phone":"555"},"email":["a@b.example"],"n":-1.5e3}',
            b'{"msg":"\\u0070assword=hunter2 \\t Bearer\\tabc","esc":"a\\/b\\\\c"}',
            b'{"nested":"{\\"token\\":\\"abc\\"}","token":12345,"t":null,"ok":true}',
            ('{"auth":"' + BEARER + '","jwe":"' + JWE + '"}').encode(),
            b'{"truncated":"password=x',
            b"not json password=hunter2",
        ]),
        "shaped": b"\x00" + b"\n".join([
            b"\x01password=hunter2 <b> & " + BEARER.encode(),
            b"\x02db_password=p4ss,w0rd",
            b"\x02client_secret=" + JWS.encode(),
            b"\x03123-45-6789",
        ]) + b"\n",
    },
    "format_docker": {
        "lines": b"\x00" + b"\n".join([
            docker("GET /cb?access_token=abc&state=1 <ok>"),
            docker(BEARER),
            docker(APP_JSON),
            docker("cut at 16 KiB password=hun", nl=False),
            docker("tab after key: password:\thunter2 and Bearer\tabc"),
            b'{"log":"\\u0070assword=hunter2\\n","stream":"stderr","time":"' + TIME + b'"}',
            b'{"log":"t=' + JWS[:12].encode() + b"\\/" + JWS[12:].encode() + b'\\n","stream":"stdout"}',
            b'{"log":"broken \\x escape","stream":"stdout"}',
        ]) + b"\n",
        "shaped": b"\x00" + b"\n".join([
            b"\x01password=hunter2 <b>&amp;",
            b"\x02" + APP_JSON.encode(),
            b"\x01" + b"\xff\xfe invalid utf-8 token=" + JWS.encode(),
        ]),
    },
    "format_cri": {
        "partials": b"\x00" + b"\n".join([
            cri("stdout", "P", b"Authorization: Bearer " + JWS[:20].encode()),
            cri("stderr", "F", b"interleaved password=hunter2"),
            cri("stdout", "P", JWS[20:50].encode()),
            cri("stdout", "F", JWS[50:].encode() + b" done"),
            cri("stdout", "F", APP_JSON.encode()),
            TIME + b" stdout F",
            b"not a cri line token=abc",
        ]) + b"\n",
        "never_full": b"\x83" + b"\n".join(
            [cri("stdout", "P", b"password=" + (b"A" * 40))] * 6 + [cri("stderr", "F", b"other")]),
        "shaped": b"\x00" + b"\n".join([
            b"\x01id_token=" + JWS[:30].encode(),
            b"\x03secret=abc",
            b"\x02" + JWS[30:].encode(),
            b"\x04",
        ]),
    },
    "format_logfmt": {
        "pairs": b"\x00" + b"\n".join([
            b'ts=1 level=info msg="a \\"b\\" c" password=p4ss,w0rd;x user=bob',
            b"token={\"a\":1} api_key=[x,y] secret=ok",
            b'authorization="Bearer ' + JWS.encode() + b'" client_secret=a\\b',
            b"password=*** token=null msg=plain",
            b'open="unterminated password=x',
        ]) + b"\n",
    },
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
    for target, seeds in FORMAT_SEEDS.items():
        for name, data in seeds.items():
            write(target, name, data)


if __name__ == "__main__":
    main()
