-- Images of queued issues (src/store/media.rs): prepared at queue time
-- (resized, without metadata) and named by a hash of their bytes; served
-- by `serve` at /media/NAME. Kept here, not in a folder, so a backup of
-- the database holds the archive with its images.
CREATE TABLE media (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    content_type TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
