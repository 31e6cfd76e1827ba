-- A placeholder: 0026 is another branch's migration (the integrator renumbers).
SELECT 1;
