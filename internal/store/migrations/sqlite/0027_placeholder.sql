-- A placeholder for the insights branch's 0027; the integrator drops it at the final merge.
SELECT 1;
