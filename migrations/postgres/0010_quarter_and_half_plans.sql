-- Plan targets may be set for a quarter (2023-Q4) and a half-year (2023-H2) as well as a
-- month (2023-10) and a year (2023): the period's shape check admits them.
alter table plan_targets drop constraint plan_targets_period_check;
alter table plan_targets add constraint plan_targets_period_check
    check (period ~ '^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$');
