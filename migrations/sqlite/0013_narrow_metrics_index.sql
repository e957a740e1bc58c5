-- inspections_metrics narrowed to (lab_id, inspected_on). Every query it serves (the
-- figures over spans that are not whole half-months, the report's tables, the list of
-- inspected instruments, the records' date filters) also filters on `voided_at`, which
-- the index never held, so each of them reads the table rows anyway; the index's
-- category and instrument columns saved no read. Measured at 1M rows, its two extra
-- columns were most of the 3.2 s the index added to an import, the largest share of any
-- index on inspections.
drop index inspections_metrics;
create index inspections_metrics on inspections (lab_id, inspected_on);
