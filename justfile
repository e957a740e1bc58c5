# metrotrack's everyday commands. None of them is needed to build or test:
# the README's two commands are plain cargo.

# List the recipes.
default:
    @just --list

# Format the code.
fmt:
    cargo fmt --all

# Lint: formatting and clippy with warnings as errors.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Every test (the README's test command).
test:
    cargo nextest run --workspace

# The same tests with plain cargo test (also runs doc tests).
test-cargo:
    cargo test --workspace

# The PostgreSQL tests against a local server (started if it is not running): the
# conformance suite, the PostgreSQL-only tests, the binary and the API end to end.
test-pg url="postgres://postgres@127.0.0.1:5432/test":
    pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    METROTRACK_TEST_POSTGRES_URL={{url}} cargo test -p metrotrack-store --test postgres
    METROTRACK_TEST_POSTGRES_URL={{url}} cargo test --test cli -- postgres::
    METROTRACK_TEST_POSTGRES_URL={{url}} cargo test --test api -- on_postgres

# The national-scale benchmark (benches/national/): a generated log of `rows`
# inspections imported by sqlite3/psql, by metrotrack (CLI and HTTP upload), then the
# figures over HTTP; prints a table and which targets hold. E.g. `just bench 10000000 1`,
# or one database's contenders: `just bench 10000000 1 --only postgres`.
bench rows="1000000" runs="3" *args:
    cargo bench --bench national -- --rows {{rows}} --runs {{runs}} {{args}}

# Run metrotrack with the given arguments, e.g. `just run report --period 2023-10`.
run *ARGS:
    cargo run --release -- {{ARGS}}

# Load the October 2023 demo month into metrotrack-demo.db and print its report.
demo:
    cargo run --release -- demo

# Regenerate the demo fixtures (deterministic).
fixtures:
    python3 fixtures/gen_demo.py

# Mutation testing (`cargo install cargo-mutants --locked`): each mutant of the core and of
# the import crate against that crate's own tests, settings in .cargo/mutants.toml. The
# survivors are listed in mutants.out/<crate>/mutants.out/missed.txt. Measured on 2 shared
# cores: about 16 s a core mutant (264: ~70 min) and 30-60 s an import mutant (373: hours),
# so pass e.g. `--shard 0/4 --sharding round-robin` for a quarter, `-j 2` on a bigger
# machine, or `--in-place` to reuse ./target (never while editing the tree).
mutants *args:
    cargo mutants -p metrotrack-core --test-package metrotrack-core -o mutants.out/core {{args}}
    cargo mutants -p metrotrack-import --test-package metrotrack-import -o mutants.out/import {{args}}
    # The store's decision modules, once its rewrite has landed:
    # cargo mutants -p metrotrack-store --test-package metrotrack-store -f crates/metrotrack-store/src/rules.rs -f crates/metrotrack-store/src/figures.rs -o mutants.out/store {{args}}

# Fuzz the log reader and the row validator (nightly + `cargo install cargo-fuzz`),
# e.g. `just fuzz read_log 600`. Targets: read_log, encodings, row.
fuzz target="read_log" seconds="600":
    cargo +nightly fuzz run {{target}} fuzz/corpus/{{target}} -O -- -max_total_time={{seconds}} -rss_limit_mb=512 -malloc_limit_mb=256 -timeout=10

# Fuzz the HTTP API from its OpenAPI document with schemathesis (PyPI, into target/venv):
# a demo server on a free port, every operation, fails on any 5xx.
fuzz-api:
    #!/usr/bin/env bash
    set -euo pipefail
    test -x target/venv/bin/schemathesis || { python3 -m venv target/venv && target/venv/bin/pip install -q schemathesis; }
    cargo build --release
    out=$(mktemp)
    target/release/metrotrack serve --demo --bind 127.0.0.1:0 --max-auth-failures 0 > "$out" 2>/dev/null &
    pid=$!
    trap 'kill $pid' EXIT
    for _ in $(seq 1 60); do grep -q '^mt_' "$out" && break; sleep 1; done
    base=$(grep -o 'http://[0-9.:]*' "$out" | head -1)
    token=$(grep '^mt_' "$out")
    # Revoking runs last and alone: the fuzzer revokes its own token (a revoked token fails
    # at once), which would leave every later request a 401.
    target/venv/bin/schemathesis run "$base/api/v1/openapi.json" --checks not_a_server_error \
        -H "Authorization: Bearer $token" --max-examples 50 --exclude-path '/api/v1/tokens/{id}/revoke'
    target/venv/bin/schemathesis run "$base/api/v1/openapi.json" --checks not_a_server_error \
        -H "Authorization: Bearer $token" --max-examples 50 --include-path '/api/v1/tokens/{id}/revoke'
