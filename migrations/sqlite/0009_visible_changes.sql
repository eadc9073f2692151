-- The data version moves only when something a reader can see changed.
--
-- site_state.version (0001) keys the page cache and the HTTP validators. Until now
-- hewn bumped it in the code of every write; from here on the database bumps it,
-- with triggers on the tables public pages, feeds, the sitemap and search read, so
-- - a write nobody reads publicly (a session, a failed login, a held or spam
--   comment, an import's hidden rows) leaves every cached page valid, and
-- - a write made by any other means (sqlite3 by hand, a second instance) still
--   counts, exactly like one made by hewn.
--
-- Visible means: every row of posts (pages too), tags, settings, media and
-- legacy_links, except an import's hidden posts (status 'importing', see
-- store::import) and what hangs on them; post_tags rows of such posts neither; and
-- comments entering, leaving or edited in the approved state (not on a hidden post).
-- Conditions look only at the row and its post, so they cost one lookup by key.
--
-- changed_at is the time of the visible write (Last-Modified, a feed's <updated>).
-- strftime('%s') rather than unixepoch(): any sqlite3 an operator has must run these.
--
-- PostgreSQL's 0009 mirrors these as row triggers calling one function (same
-- conditions, extract(epoch from now())), in the same transaction as the write.

create trigger site_version_post_added after insert on posts
when new.status <> 'importing'
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_post_changed after update on posts
when old.status <> 'importing' or new.status <> 'importing'
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_post_removed after delete on posts
when old.status <> 'importing'
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

-- An import links a hidden post's tags before writing the post: no post, no change.
create trigger site_version_tagging_added after insert on post_tags
when exists (select 1 from posts p where p.id = new.post_id and p.status <> 'importing')
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_tagging_changed after update on post_tags
when exists (select 1 from posts p where p.id in (old.post_id, new.post_id) and p.status <> 'importing')
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_tagging_removed after delete on post_tags
when exists (select 1 from posts p where p.id = old.post_id and p.status <> 'importing')
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_comment_added after insert on comments
when new.status = 'approved'
    and exists (select 1 from posts p where p.id = new.post_id and p.status <> 'importing')
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_comment_changed after update on comments
when (old.status = 'approved' or new.status = 'approved')
    and exists (select 1 from posts p where p.id in (old.post_id, new.post_id) and p.status <> 'importing')
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_comment_removed after delete on comments
when old.status = 'approved'
    and exists (select 1 from posts p where p.id = old.post_id and p.status <> 'importing')
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_tag_added after insert on tags
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_tag_changed after update on tags
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_tag_removed after delete on tags
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_setting_added after insert on settings
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_setting_changed after update on settings
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_setting_removed after delete on settings
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_media_added after insert on media
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_media_changed after update on media
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_media_removed after delete on media
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_old_link_added after insert on legacy_links
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_old_link_changed after update on legacy_links
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;

create trigger site_version_old_link_removed after delete on legacy_links
begin
    update site_state set version = version + 1, changed_at = cast(strftime('%s', 'now') as integer) where id = 1;
end;
