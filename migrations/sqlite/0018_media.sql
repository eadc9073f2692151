-- The media library: files uploaded in the admin panel, with their sizes for
-- responsive images. The files themselves (the stripped full-size image, its
-- resized and WebP variants, a kept original) are rows of `media`, served at
-- /media/{path}; these tables say what each row is.

-- One row per library item uploaded in the panel (imported files have none).
create table media_items (
    media_id integer primary key references media (id) on delete cascade,
    name     text not null,                 -- the uploaded file's name, for people
    caption  text not null default '',
    width    integer,                       -- pixels, for images
    height   integer
);

-- Files made from a library item: `resized` and `webp` variants, and the
-- untouched `original` when the admin chose to keep it.
create table media_variants (
    variant_id integer primary key references media (id) on delete cascade,
    media_id   integer not null references media (id) on delete cascade,
    kind       text not null check (kind in ('resized', 'webp', 'original')),
    width      integer not null,
    height     integer not null
);
create index media_variants_item on media_variants (media_id);
