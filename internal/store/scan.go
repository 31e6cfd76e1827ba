package store

import (
	"database/sql"
	"time"
)

// scanAll reads every row of a query into a slice, each with scan. It
// takes the query's own results, so that the query's error, a Scan error
// and the error that ended the iteration (rows.Err, which a loop written
// by hand is apt to miss) all come out, and it closes rows.
//
//	rows, err := db.sql.QueryContext(ctx, query, args...)
//	list, err := scanAll(rows, err, func(r *sql.Rows, v *T) error {
//		return r.Scan(&v.ID, &v.Name)
//	})
func scanAll[T any](rows *sql.Rows, err error, scan func(*sql.Rows, *T) error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// eachRow calls fn with every row of a query, for reads that fold rows
// into something other than a slice; it checks errors and closes rows as
// scanAll does.
func eachRow(rows *sql.Rows, err error, fn func(*sql.Rows) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanInt64 scans a one-column row of an integer.
func scanInt64(r *sql.Rows, v *int64) error { return r.Scan(v) }

// scanTime scans a one-column row of a stored time (unix milliseconds).
func scanTime(r *sql.Rows, t *time.Time) error {
	var v int64
	if err := r.Scan(&v); err != nil {
		return err
	}
	*t = fromMS(v)
	return nil
}
