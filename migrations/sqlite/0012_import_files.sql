-- The uploaded file itself, kept as evidence of each stored batch: its bytes as they were
-- read, cut into parts of about 1 MiB that begin at a line, each part compressed on its
-- own (gzip), so that one part can be read without those before it. The parts in order,
-- decompressed, are the file: they hash to the batch's SHA-256 (`metrotrack verify`
-- checks it). `first_line` is the line a part begins with, counted by its line-feed
-- bytes (exact for UTF-8 and Windows-1258 logs; meaningless for a workbook).
-- Batches stored before this migration have no parts.

create table import_file_parts (
    lab_id integer not null,
    batch_id integer not null,
    part integer not null,
    first_line integer not null,
    data blob not null,
    primary key (lab_id, batch_id, part),
    foreign key (batch_id) references import_batches (id)
);
