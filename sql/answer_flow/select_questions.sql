SELECT id, operation FROM questions WHERE id = ANY($1::uuid[])
