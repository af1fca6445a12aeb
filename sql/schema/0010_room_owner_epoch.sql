-- Who runs a live room, fenced by PostgreSQL (docs/architecture.md, "Owning a room"). A worker
-- takes a room with one UPDATE that adds 1 to owner_epoch and returns it; every write the
-- room makes afterwards (its players, questions, game start and end, and the answer writer's
-- batches) first locks the room's row FOR SHARE and checks that owner_epoch is still the one
-- it claimed. A worker whose room another one claimed since is refused, whatever Redis says,
-- and a claim waits for the writes of the previous owner that are committing.
ALTER TABLE rooms
    ADD COLUMN owner_epoch BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN owner_worker VARCHAR(64);
