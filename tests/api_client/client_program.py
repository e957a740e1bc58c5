"""What an API consumer does with a client generated from /api/v1/openapi.json (issue #18).

With the package `metrotrack_client` that openapi-python-client generated from the served
document: import the October 2023 demo month (the README's Excel-shaped logs, one as a
text/csv body, one as a multipart form), set the month's plans, read 467 PTĐ at 116 % and
13 earthing points at 130 %, walk the month's inspections through their cursors to the end (497),
and read a refused upload as a typed problem.

Usage: client_program.py BASE_URL TOKEN REPO_DIR. Prints what it saw; exits 1 on the
first value that is not the expected one.
"""

import sys
from pathlib import Path

from metrotrack_client import AuthenticatedClient
from metrotrack_client.api.figures import get_achievement, set_plan
from metrotrack_client.api.imports import upload_log
from metrotrack_client.api.records import list_inspections
from metrotrack_client.models import (
    BatchDto,
    LogKindParam,
    MetricParam,
    PeriodAchievementDto,
    PlanDto,
    ProblemDetails,
    SetPlan,
    UploadForm,
)
from metrotrack_client.types import File


def expect(what, got, want):
    print(f"{what}: {got}")
    if got != want:
        print(f"  expected {want!r}, got {got!r}", file=sys.stderr)
        sys.exit(1)


def main(base_url: str, token: str, repo: Path) -> None:
    demo = repo / "fixtures" / "demo"
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    with client:
        # The demo month: inspections as a text/csv body, earthing as a multipart form.
        path = demo / "inspections-2023-10.excel-vi.csv"
        with path.open("rb") as log:
            answer = upload_log.sync_detailed(
                client=client,
                kind=LogKindParam.INSPECTIONS,
                file_name=path.name,
                body=File(payload=log, file_name=path.name, mime_type="text/csv"),
            )
        expect("upload inspections: status", answer.status_code, 201)
        batch = answer.parsed
        expect("  typed as", type(batch).__name__, BatchDto.__name__)
        print(f"  batch {batch.id}: {batch.outcome}, rows {batch.rows}, inserted {batch.inserted}")
        expect("  outcome", batch.outcome, "stored")
        expect("  location", answer.headers.get("location"), f"/api/v1/imports/{batch.id}")

        path = demo / "earthing-2023-10.excel-vi.csv"
        with path.open("rb") as log:
            answer = upload_log.sync_detailed(
                client=client,
                kind=LogKindParam.EARTHING,
                body=UploadForm(file=File(payload=log, file_name=path.name, mime_type="text/csv")),
            )
        expect("upload earthing (multipart): status", answer.status_code, 201)
        batch = answer.parsed
        print(f"  batch {batch.id}: {batch.outcome}, rows {batch.rows}, inserted {batch.inserted}")
        expect("  file name kept", batch.file_name, path.name)

        # The month's plans.
        for metric, target in [
            (MetricParam.INSTRUMENTS_INSPECTED, 402),
            (MetricParam.EARTHING_POINTS_MEASURED, 10),
        ]:
            plan = set_plan.sync("2023-10", metric, client=client, body=SetPlan(target=target))
            expect(f"plan {metric.value}", isinstance(plan, PlanDto) and plan.target, target)

        # The figures the department reads.
        achievement = get_achievement.sync(client=client, period="2023-10")
        expect("achievement typed as", type(achievement).__name__, PeriodAchievementDto.__name__)
        figures = {m.metric: m for m in achievement.metrics}
        instruments = figures["instruments_inspected"]
        earthing = figures["earthing_points_measured"]
        expect(
            "instruments inspected (actual / percent)",
            (instruments.actual, instruments.percent),
            (467, 116),
        )
        expect("earthing points measured (actual / percent)", (earthing.actual, earthing.percent), (13, 130))

        # The month's inspections (the 497 behind the figure), a page at a time.
        seen, pages, cursor = [], 0, None
        while True:
            kwargs = {"cursor": cursor} if cursor else {}
            page = list_inspections.sync(client=client, period="2023-10", limit=100, **kwargs)
            pages += 1
            seen.extend(item.id for item in page.items)
            cursor = page.next_cursor
            if not cursor:
                break
        print(f"inspections of 2023-10 walked: {len(seen)} in {pages} pages")
        expect("  inspections", len(seen), 497)
        expect("  each once, in id order", seen == sorted(set(seen)), True)

        # A refused upload is a typed problem.
        path = repo / "fixtures" / "bad" / "impossible-date.csv"
        with path.open("rb") as log:
            answer = upload_log.sync_detailed(
                client=client,
                kind=LogKindParam.INSPECTIONS,
                body=File(payload=log, file_name=path.name, mime_type="text/csv"),
            )
        expect("refused upload: status", answer.status_code, 422)
        problem = answer.parsed
        expect("  typed as", type(problem).__name__, ProblemDetails.__name__)
        expect("  type", problem.type_, "https://metrotrack.dev/problems/import-refused")
        row = problem.problems[0]
        print(f"  line {row.line}, column {row.column!r}, value {row.value!r}: {row.message}")
        expect("  the row named", (row.line, row.column, row.value), (3, "Ngày kiểm định", "31/02/2023"))
    print("the generated client works end to end")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
