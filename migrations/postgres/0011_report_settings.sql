-- The monthly report as the document the department signs (Decree 30/2020/NĐ-CP): the
-- lab's letterhead (governing body, issuing body, its symbol in the document number),
-- the place before the date, the signature block and the recipients ("Nơi nhận", one
-- per line). One row per lab, set by an admin; a lab without one gets empty fields.

create table report_settings (
    lab_id bigint primary key references labs (id),
    parent_body text not null default '',
    issuing_body text not null default '',
    symbol text not null default '',
    place text not null default '',
    signer_title text not null default '',
    signer_name text not null default '',
    recipients text not null default ''
);
