-- PostgreSQL drops here the foreign keys to `labs` that other keys imply (each costs it
-- a query per stored row). SQLite checks them in the same pass as the row itself and
-- cannot drop a foreign key without rebuilding the table: nothing changes here. The
-- migration exists so that both histories keep the same version numbers.
select 1;
