-- The data version moves only when something a reader can see changed, whoever
-- writes (hewn on any instance, psql by hand): the same conditions as SQLite's
-- 0009, as row triggers calling one function, in the transaction of the write.
-- Every instance's page cache compares the version before it answers.
create function hewn_bump_version() returns void language sql as $$
    update site_state set version = version + 1, changed_at = extract(epoch from now())::bigint where id = 1
$$;

create function hewn_visible_post(post bigint) returns boolean language sql stable as $$
    select exists (select 1 from posts p where p.id = post and p.status <> 'importing')
$$;

create function hewn_version_posts() returns trigger language plpgsql as $$
begin
    if (tg_op = 'INSERT' and new.status <> 'importing')
        or (tg_op = 'UPDATE' and (old.status <> 'importing' or new.status <> 'importing'))
        or (tg_op = 'DELETE' and old.status <> 'importing') then
        perform hewn_bump_version();
    end if;
    return null;
end $$;
create trigger site_version_posts after insert or update or delete on posts
    for each row execute function hewn_version_posts();

create function hewn_version_post_tags() returns trigger language plpgsql as $$
begin
    if (tg_op = 'INSERT' and hewn_visible_post(new.post_id))
        or (tg_op = 'UPDATE' and (hewn_visible_post(old.post_id) or hewn_visible_post(new.post_id)))
        or (tg_op = 'DELETE' and hewn_visible_post(old.post_id)) then
        perform hewn_bump_version();
    end if;
    return null;
end $$;
create trigger site_version_post_tags after insert or update or delete on post_tags
    for each row execute function hewn_version_post_tags();

create function hewn_version_comments() returns trigger language plpgsql as $$
begin
    if (tg_op = 'INSERT' and new.status = 'approved' and hewn_visible_post(new.post_id))
        or (tg_op = 'UPDATE' and (old.status = 'approved' or new.status = 'approved')
            and (hewn_visible_post(old.post_id) or hewn_visible_post(new.post_id)))
        or (tg_op = 'DELETE' and old.status = 'approved' and hewn_visible_post(old.post_id)) then
        perform hewn_bump_version();
    end if;
    return null;
end $$;
create trigger site_version_comments after insert or update or delete on comments
    for each row execute function hewn_version_comments();

-- Every row of these tables is public.
create function hewn_version_any() returns trigger language plpgsql as $$
begin
    perform hewn_bump_version();
    return null;
end $$;
create trigger site_version_tags after insert or update or delete on tags
    for each row execute function hewn_version_any();
create trigger site_version_settings after insert or update or delete on settings
    for each row execute function hewn_version_any();
create trigger site_version_media after insert or update or delete on media
    for each row execute function hewn_version_any();
create trigger site_version_legacy_links after insert or update or delete on legacy_links
    for each row execute function hewn_version_any();
