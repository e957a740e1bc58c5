-- The instruments' key columns compare bytewise (`collate "C"`).
--
-- `manufacturer_key` and `serial_key` are normalised comparison keys (`metrotrack_core`'s
-- `text::name_key` and `text::identity_key`), compared for equality only: an
-- import looks every row's instrument up by them and creates the new ones through the
-- unique index `instruments_identity`; no page or report orders by them. Under the
-- database's default collation (C.UTF-8 here, a language's collation elsewhere) every
-- comparison in that index went through the C library's `strcoll`, and sorts of them
-- could not use abbreviated keys; bytewise, they are `memcmp`. Measured on 1M random keys
-- with a unique index on three text columns: 7.6 s against 7.0 s to insert, 1.14 s
-- against 0.87 s to sort. Equality is the same under both (every collation here is
-- deterministic), so no stored key changes meaning; the indexes holding the columns are
-- rebuilt. The import's staging table names the same collation (`postgres/import.rs`),
-- so that its `distinct on` sorts the keys in the index's order.
alter table instruments
    alter column manufacturer_key type text collate "C",
    alter column serial_key type text collate "C";
