-- Step 0, for live answers: the write fence of their rooms (docs/architecture.md, "Owning a
-- room"). Each room's row is locked FOR SHARE, in the order given (the writer sorts them by
-- id), so a worker claiming a room (UPDATE rooms SET owner_epoch = owner_epoch + 1) waits for
-- this batch, and the batch stores a room's answers only if owner_epoch is still the one the
-- answering worker claimed. Taken before the users' locks: every batch locks rooms first.
-- position: the room's place in $1 (1-based).
SELECT k.position, r.owner_epoch
FROM unnest($1::uuid[]) WITH ORDINALITY AS k(room_id, position)
CROSS JOIN LATERAL (
    SELECT owner_epoch FROM rooms WHERE id = k.room_id FOR SHARE
) AS r
ORDER BY k.position
