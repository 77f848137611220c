"""pyotp oracle for tests/pyotp_agreement.rs.

Reads JSON lines from stdin until EOF, one case each:
  {"id": 0, "kind": "totp", "secret": "BASE32", "alg": "sha256", "digits": 8, "period": 30, "time": 59}
  {"id": 1, "kind": "hotp", "secret": "BASE32", "alg": "sha1", "digits": 6, "counter": 7}
and writes one JSON line per case, in order:
  {"id": 0, "code": "12345678", "native": true}   or   {"id": 0, "error": "..."}
then a final line {"done": n, "pyotp": "<version>"}.

"native" is true when pyotp's own constructor accepted the parameters. pyotp >= 2.10 refuses
secrets under 112 bits and TOTP intervals over 120 s (NIST SP 800-63B-4 policy, not arithmetic);
for those cases the oracle still uses pyotp's generate_otp/timecode, but lifts the policy check:
the interval is set after construction and the secret is decoded with the standard library's
base64.b32decode exactly as pyotp does, minus the length check. Digit counts pyotp refuses are
reported as errors, never bypassed.

All input is read before any output is written, so the parent can write every case and only then
read the answers without either pipe filling up.
"""

import base64
import hashlib
import json
import sys

try:
    import pyotp
except ImportError:
    sys.stderr.write("pyotp is not importable: pip install pyotp\n")
    sys.exit(3)

DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def pyotp_version():
    try:
        from importlib.metadata import version

        return version("pyotp")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return getattr(pyotp, "__version__", "unknown")


def _decode_without_length_policy(secret):
    padded = secret + "=" * (-len(secret) % 8)
    return base64.b32decode(padded, casefold=True)


class _ShortSecretTOTP(pyotp.TOTP):
    def byte_secret(self):
        return _decode_without_length_policy(self.secret)


class _ShortSecretHOTP(pyotp.HOTP):
    def byte_secret(self):
        return _decode_without_length_policy(self.secret)


def _is_policy_error(err):
    """pyotp's NIST policy checks (secret length, interval cap); never the digit check."""
    message = str(err)
    return "bits" in message or "interval" in message


def totp_code(case):
    secret, digest = case["secret"], DIGESTS[case["alg"]]
    digits, period, time = case["digits"], case["period"], case["time"]
    try:
        return pyotp.TOTP(secret, digits=digits, digest=digest, interval=period).at(time), True
    except ValueError as err:
        if not _is_policy_error(err):
            raise
    otp = _ShortSecretTOTP(secret, digits=digits, digest=digest, interval=30)
    otp.interval = period
    return otp.at(time), False


def hotp_code(case):
    secret, digest, digits = case["secret"], DIGESTS[case["alg"]], case["digits"]
    try:
        return pyotp.HOTP(secret, digits=digits, digest=digest).at(case["counter"]), True
    except ValueError as err:
        if not _is_policy_error(err):
            raise
    return _ShortSecretHOTP(secret, digits=digits, digest=digest).at(case["counter"]), False


def main():
    cases = [json.loads(line) for line in sys.stdin.read().splitlines() if line.strip()]
    out = []
    for case in cases:
        try:
            if case["kind"] == "totp":
                code, native = totp_code(case)
            else:
                code, native = hotp_code(case)
            out.append({"id": case["id"], "code": code, "native": native})
        except ValueError as err:
            out.append({"id": case["id"], "error": str(err)})
    out.append({"done": len(cases), "pyotp": pyotp_version()})
    sys.stdout.write("".join(json.dumps(o) + "\n" for o in out))


if __name__ == "__main__":
    main()
