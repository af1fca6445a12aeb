-- Fact families (docs/curriculum.md, "Fact families"): the next-fact choice reads a student's
-- progress on every row of a family (7 × 8, 8 × 7, 56 ÷ 7, 56 ÷ 8), found by the family's
-- `fact-family:` tag. A GIN index on the tags finds a family's rows among all facts, the
-- rooms' free-standing ones included, without reading the table.
CREATE INDEX idx_question_tags ON questions USING gin (tags);
