-- Comments per status, kept by triggers in the transaction of every write (hewn's
-- or a hand-made one), so the admin panel reads four small rows instead of counting
-- every comment on each page (80-90 ms on a million comments). While an import is at
-- work the panel still counts (comments on posts being imported are left out); see
-- `store::moderation::counts`.
create table comment_counts (
    status text primary key,
    n      integer not null
);

insert into comment_counts (status, n) select status, count(*) from comments group by status;

create trigger comment_counts_insert after insert on comments begin
    insert or ignore into comment_counts (status, n) values (new.status, 0);
    update comment_counts set n = n + 1 where status = new.status;
end;

create trigger comment_counts_delete after delete on comments begin
    update comment_counts set n = n - 1 where status = old.status;
end;

create trigger comment_counts_update after update of status on comments
when old.status <> new.status begin
    update comment_counts set n = n - 1 where status = old.status;
    insert or ignore into comment_counts (status, n) values (new.status, 0);
    update comment_counts set n = n + 1 where status = new.status;
end;
