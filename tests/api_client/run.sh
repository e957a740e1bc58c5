#!/usr/bin/env bash
# The API as a consumer sees it (issue #18), against the real `metrotrack serve` on a
# fresh SQLite file:
#   1. the served /api/v1/openapi.json validates against the OpenAPI 3.1 schema;
#   2. openapi-python-client generates a client from it, and client_program.py uses that
#      client to import the demo month, set the plans, read the figures, walk the
#      inspections and read a refused upload as a typed problem;
#   3. schemathesis runs every operation with bounded examples, checking that no answer
#      is a 5xx and that every answer has a documented status, media type, headers and
#      schema.
# Usage: tests/api_client/run.sh PYTHON_VENV METROTRACK_BINARY
# (.ci/run installs the venv from requirements.txt; `just api-client` runs this.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$(cd "$1" && pwd)"
bin="$(realpath "$2")"
examples="${API_FUZZ_EXAMPLES:-100}"

work="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

db="sqlite://$work/api.db"
token="$("$bin" --database-url "$db" token create --name api-client --role admin | tail -1)"
"$bin" --database-url "$db" serve --bind 127.0.0.1:0 --max-auth-failures 0 \
    > "$work/serve.out" 2> "$work/serve.log" &
pid=$!
base=""
for _ in $(seq 1 100); do
    base="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.out" | head -1 || true)"
    [ -n "$base" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$base" ] || { echo "metrotrack serve printed no address" >&2; exit 1; }
echo "server: $base (fresh SQLite file)"

echo "-- the document validates (OpenAPI 3.1)"
"$venv/bin/python" - "$base/api/v1/openapi.json" "$work/openapi.json" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1]) as answer, open(sys.argv[2], "wb") as out:
    out.write(answer.read())
PY
"$venv/bin/openapi-spec-validator" --validation-errors all "$work/openapi.json"

echo "-- a client generated from it works end to end"
"$venv/bin/openapi-python-client" generate --path "$work/openapi.json" \
    --config "$here/generator.yaml" --meta none \
    --output-path "$work/client/metrotrack_client" > "$work/generate.log" 2>&1 \
    || { cat "$work/generate.log" >&2; exit 1; }
# The generator names what it could not turn into code ("Unsupported …", "Skipping …"):
# a client missing an operation is a failure too.
if grep -Eq 'Unsupported|Skipping|Unable|Warning' "$work/generate.log"; then
    cat "$work/generate.log" >&2
    echo "openapi-python-client could not generate every operation" >&2
    exit 1
fi
PYTHONPATH="$work/client" "$venv/bin/python" "$here/client_program.py" "$base" "$token" "$repo"

echo "-- schemathesis: every operation, $examples examples each"
# No 5xx; every answer with a documented status, media type, headers and schema.
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks=$checks,response_headers_conformance,response_schema_conformance
fuzz() {
    # From the scratch folder: schemathesis keeps its cache in the working directory.
    # One worker: with two, schemathesis compiles from two threads at once, which this
    # Python's compiler does not survive ("AST constructor recursion depth mismatch").
    cd "$work" && "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
        --checks "$checks" \
        -H "Authorization: Bearer $token" --max-examples "$examples" --seed 18 \
        --workers 1 --no-color --report json --report-json-path "$work/$1.json" "${@:2}"
}
# Revoking runs last and alone: the fuzzer may revoke its own token (token ids are
# small numbers), after which every request is a 401.
fuzz most --exclude-path '/api/v1/tokens/{id}/revoke'
fuzz revoke --include-path '/api/v1/tokens/{id}/revoke'
"$venv/bin/python" - "$work/most.json" "$work/revoke.json" "$work/serve.log" <<'PY'
import json, re, sys
cases = sum(json.load(open(p))["test_cases"]["generated"] for p in sys.argv[1:3])
log = open(sys.argv[3], encoding="utf-8", errors="replace").read()
log = re.sub(r"\x1b\[[0-9;]*m", "", log)
answers = re.findall(r"finished processing request.*?status=(\d{3})", log)
server_errors = sum(1 for s in answers if s.startswith("5"))
print(f"fuzz: {cases} test cases, {len(answers)} requests answered, {server_errors} answered 5xx")
if len(answers) < cases:
    sys.exit("the server's log does not show every answer: its format changed?")
sys.exit(1 if server_errors else 0)
PY
