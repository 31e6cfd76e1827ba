-- Placeholder for a migration of another branch (the integrator drops it
-- when it renumbers this branch's 0026).
SELECT 1;
