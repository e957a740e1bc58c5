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
    cargo test --workspace

# The same tests with cargo-nextest, one process each.
test-nextest:
    cargo nextest run --workspace

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

# The server under load (benches/load.py): p50/p99 of the figures, a sign-in and a plan
# change while a `rows`-row upload runs and while 5 uploads stall, and the peak memory
# under 200 concurrent failing sign-ins. A release build; figures, not assertions.
load rows="1000000" *args:
    cargo build --release --bin metrotrack
    python3 benches/load.py "${CARGO_TARGET_DIR:-target}/release/metrotrack" --rows {{rows}} {{args}}

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

# The API as a consumer sees it (tests/api_client/run.sh, also in .ci/run): the served
# OpenAPI document validated, a Python client generated from it and used end to end, and
# schemathesis over every operation with `examples` cases each (CI: 100), failing on any
# 5xx or any answer the document does not describe (status, media type, headers, schema).
# Its tools go into target/py (PyPI, pinned in tests/api_client/requirements.txt).
api-client examples="100":
    #!/usr/bin/env bash
    set -euo pipefail
    cmp -s tests/api_client/requirements.txt target/py/requirements.txt || { rm -rf target/py && python3 -m venv target/py && target/py/bin/pip install -q -r tests/api_client/requirements.txt && cp tests/api_client/requirements.txt target/py/requirements.txt; }
    cargo build --bin metrotrack
    API_FUZZ_EXAMPLES={{examples}} tests/api_client/run.sh target/py "${CARGO_TARGET_DIR:-target}/debug/metrotrack"

# Fuzz the HTTP API longer than CI does: the same check with more cases per operation.
fuzz-api examples="500":
    just api-client {{examples}}
