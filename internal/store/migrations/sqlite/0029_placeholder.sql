-- A placeholder for the gate branch's 0029 (the integrator drops it when that lands).
SELECT 1;
