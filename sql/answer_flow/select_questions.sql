SELECT q.id, q.operation
FROM unnest($1::uuid[]) AS k(id)
JOIN questions q USING (id)
