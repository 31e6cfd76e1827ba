-- Placeholder for migration 0021, which another branch of phase 2 adds:
-- the partners branch numbers its own 0022. Drop this file when merging.
SELECT 1;
