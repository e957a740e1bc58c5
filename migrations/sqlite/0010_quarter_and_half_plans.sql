-- Plan targets may be set for a quarter (2023-Q4) and a half-year (2023-H2) as well as a
-- month and a year. SQLite never checked the period's shape (the store does): nothing
-- changes here. The migration exists so that both histories keep the same version
-- numbers.
select 1;
