-- The media library: files uploaded in the admin panel, with their sizes for
-- responsive images (see the SQLite migration of the same number).
create table media_items (
    media_id bigint primary key references media (id) on delete cascade deferrable initially immediate,
    name     text collate "C" not null,
    caption  text collate "C" not null default '',
    width    bigint,
    height   bigint
);

create table media_variants (
    variant_id bigint primary key references media (id) on delete cascade deferrable initially immediate,
    media_id   bigint not null references media (id) on delete cascade deferrable initially immediate,
    kind       text collate "C" not null check (kind in ('resized', 'webp', 'original')),
    width      bigint not null,
    height     bigint not null
);
create index media_variants_item on media_variants (media_id);
