-- Comments per status, kept by triggers in the transaction of every write (hewn's
-- or a hand-made one), so the admin panel reads four small rows instead of counting
-- every comment on each page (80-90 ms on a million comments). While an import is at
-- work the panel still counts (comments on posts being imported are left out); see
-- `store::moderation::counts`.
--
-- Statement triggers over the statement's changed rows: a row trigger would update
-- the same counter row once per comment, and a bulk delete ("empty spam") would
-- then leave thousands of versions of that row in one transaction.
create table comment_counts (
    status text collate "C" primary key,
    n      bigint not null
);

insert into comment_counts (status, n) select status, count(*) from comments group by status;

create function hewn_comment_counts_insert() returns trigger language plpgsql as $$
begin
    insert into comment_counts (status, n)
        select status, count(*) from new_rows group by status
        on conflict (status) do update set n = comment_counts.n + excluded.n;
    return null;
end $$;
create trigger comment_counts_insert after insert on comments
    referencing new table as new_rows for each statement execute function hewn_comment_counts_insert();

create function hewn_comment_counts_delete() returns trigger language plpgsql as $$
begin
    update comment_counts c set n = c.n - d.k
        from (select status, count(*) as k from old_rows group by status) d
        where c.status = d.status;
    return null;
end $$;
create trigger comment_counts_delete after delete on comments
    referencing old table as old_rows for each statement execute function hewn_comment_counts_delete();

-- Any update (PostgreSQL takes no column list with changed rows): only statuses
-- whose count moved are written.
create function hewn_comment_counts_update() returns trigger language plpgsql as $$
begin
    insert into comment_counts (status, n)
        select status, sum(k)::bigint from (
            select status, -count(*) as k from old_rows group by status
            union all
            select status, count(*) from new_rows group by status) moved
        group by status having sum(k) <> 0
        on conflict (status) do update set n = comment_counts.n + excluded.n;
    return null;
end $$;
create trigger comment_counts_update after update on comments
    referencing old table as old_rows new table as new_rows
    for each statement execute function hewn_comment_counts_update();

create function hewn_comment_counts_truncate() returns trigger language plpgsql as $$
begin
    update comment_counts set n = 0;
    return null;
end $$;
create trigger comment_counts_truncate after truncate on comments
    for each statement execute function hewn_comment_counts_truncate();
