"""Fuzzes the API with schemathesis from its own OpenAPI document, as a
member and as each staff role, against a demo server `cargo xtask test`
started on a database of its own.

Tokens come from the real login flows: the member asks for an SMS code and
logs in with it (demo mode's SMS sender writes the message to the
notification outbox, read here from the SQLite file), staff log in with the
demo accounts' password. No test-only route.

Passes when every case answered without a server error and every answer
matched its declared status, content type and schema. Prints the case
count. Usage: run.py BASE_URL SQLITE_FILE ST_BINARY REPORT_DIR
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE, DB, ST, REPORTS = sys.argv[1:5]
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
SLUG = "demo"
PASSWORD = "tongka123"
STAFF = ["clerk", "manager", "east", "finance", "admin"]
MEMBER_PHONE = "13800000001"
# Cases per operation and phase (the coverage phase adds its own).
EXAMPLES = 5

# Checks every answer must pass.
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "ignored_auth",
    ]
)
# Ending one's own session would leave the rest of the run logged out (they
# are fuzzed logged out, and the API tests cover them).
NOT_FUZZED_LOGGED_IN = ["MemberLogout", "StaffLogout", "ChangePassword"]


def post(path, body):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def member_token():
    post(f"/api/brands/{SLUG}/member/sms-code", {"phone": MEMBER_PHONE})
    con = sqlite3.connect(DB)
    try:
        (body,) = con.execute(
            "SELECT body FROM notifications WHERE recipient = ? ORDER BY id DESC LIMIT 1",
            (MEMBER_PHONE,),
        ).fetchone()
    finally:
        con.close()
    code = re.search(r"(?<!\d)\d{6}(?!\d)", body).group(0)
    s = post(
        f"/api/brands/{SLUG}/member/login",
        {"phone": MEMBER_PHONE, "code": code, "consent": True},
    )
    return s["token"]


def staff_token(account):
    return post(
        f"/api/brands/{SLUG}/staff/login", {"account": account, "password": PASSWORD}
    )["token"]


def run(name, token, extra, examples):
    args = [
        ST,
        "--config-file",
        CONFIG,
        "run",
        f"{BASE}/api/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        # One worker: on Python 3.11 two threads parsing source at once
        # (Hypothesis describing its lambdas) can trip CPython's AST
        # recursion-depth check (gh-106905), failing the run with a
        # "Runtime Error" in the tool rather than in the API.
        "--workers",
        "1",
        "--seed",
        "11",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        f"{REPORTS}/{name}.xml",
        "--no-color",
    ]
    if token:
        args += ["--header", f"Authorization: Bearer {token}"]
    args += extra
    started = time.time()
    print(f"--- fuzzing as {name}: started", flush=True)
    p = subprocess.run(args, capture_output=True, text=True)
    out = p.stdout + p.stderr
    # The summary: test case counts and failures.
    tail = out[-6000:] if p.returncode else out[-1500:]
    cases = sum(int(n) for n in re.findall(r"(\d+) generated", out)) or 0
    # One print per run, so two runs at once do not interleave their output.
    print(
        f"\n--- fuzzing as {name} ---\n{tail}\n"
        f"--- {name}: exit {p.returncode}, {time.time() - started:.0f}s",
        flush=True,
    )
    return p.returncode, cases


def canary():
    """The checks bite: the same run against a copy of the document whose
    brand schema requires a field the server never sends must fail."""
    with urllib.request.urlopen(f"{BASE}/api/openapi.json") as r:
        doc = json.loads(r.read())
    brand = doc["components"]["schemas"]["BrandPublic"]
    brand["properties"]["canary"] = {"type": "string"}
    brand.setdefault("required", []).append("canary")
    path = os.path.join(REPORTS, "canary-openapi.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    p = subprocess.run(
        [ST, "--config-file", CONFIG, "run", path, "--url", f"{BASE}/api",
         "--include-operation-id", "BrandInfo", "--max-examples", "3",
         "--checks", "response_schema_conformance", "--no-color"],
        capture_output=True, text=True,
    )
    if p.returncode == 0 or "canary" not in p.stdout:
        print(p.stdout[-3000:], p.stderr[-2000:])
        sys.exit("the canary passed: schemathesis is not checking answers against the document")
    print("canary: a wrong document is caught (the checks bite)")


def main():
    canary()
    tokens = {"member": member_token()}
    for account in STAFF:
        tokens[account] = staff_token(account)
    excluded = []
    for op in NOT_FUZZED_LOGGED_IN:
        excluded += ["--exclude-operation-id", op]
    runs = [("anonymous", None, [], EXAMPLES)]
    runs += [("member", tokens["member"], excluded, EXAMPLES)]
    runs += [(a, tokens[a], excluded, EXAMPLES) for a in STAFF]
    failed = []
    total = 0
    # Two role runs at a time, each its own schemathesis process with one
    # worker (see `run`): the server answers one while the other generates
    # its cases. Measured on the 2-core machine: 195 s against 291 s one
    # after another, the same cases.
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda r: (r[0], run(*r)), runs))
    for name, (code, cases) in results:
        total += cases
        if code != 0:
            failed.append(name)
    print(f"\nschemathesis: {total} test cases generated in all")
    if failed:
        print("schemathesis found failures as: " + ", ".join(failed))
        sys.exit(1)
    print("schemathesis: no server errors; every answer matched its declaration")


if __name__ == "__main__":
    main()
