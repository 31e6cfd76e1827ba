-- Placeholder for migration 0020, which another branch of phase 2 adds:
-- the importapp branch numbers its own 0026. Drop this file when merging.
SELECT 1;
