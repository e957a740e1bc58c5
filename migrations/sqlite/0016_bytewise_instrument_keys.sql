-- PostgreSQL's instrument keys compare bytewise (`collate "C"`). SQLite compares text
-- bytewise already (its default collation, BINARY): nothing changes here. The migration
-- exists so that both histories keep the same version numbers.
select 1;
