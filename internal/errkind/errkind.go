// Package errkind is qunzhu's one set of error kinds. Domain code says what
// kind of failure happened; the HTTP layer maps the kind to a status code in
// one place (internal/api), the CLI maps it to an exit code.
package errkind

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers that must react to it.
type Kind string

const (
	Internal     Kind = "internal"               // a bug or an unexpected failure: 500
	Invalid      Kind = "invalid"                // bad input: 400
	Unauthorized Kind = "unauthorized"           // missing or bad credentials: 401
	Forbidden    Kind = "forbidden"              // credentials fine, not allowed: 403
	NotFound     Kind = "not_found"              // 404
	Conflict     Kind = "conflict"               // duplicate or state conflict: 409
	TooLarge     Kind = "too_large"              // payload over a limit: 413
	RateLimited  Kind = "rate_limited"           // 429
	Unavailable  Kind = "unavailable"            // dependency down, schema out of date: 503
	Unsupported  Kind = "unsupported"            // the platform cannot do this: 501
	MediaType    Kind = "unsupported_media_type" // a body in a format not accepted: 415
)

// Error is an error with a kind and a message meant for the person who caused
// it. Wrap an underlying error in Err to keep it for logs and errors.Is.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return string(e.Kind)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind k with a formatted message. A %w verb
// wraps its argument as with fmt.Errorf.
func Errorf(k Kind, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: k, Message: err.Error(), Err: errors.Unwrap(err)}
}

// New returns an *Error of kind k.
func New(k Kind, msg string) error { return &Error{Kind: k, Message: msg} }

// Of returns the kind of the first *Error in err's chain, or Internal.
// A nil error has no kind: Of returns "".
func Of(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Message returns the human message of the first *Error in err's chain, or
// "internal error" for errors that carry no kind (their text may leak
// internals and is logged instead).
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Message
		}
		return e.Error()
	}
	return "internal error"
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && Of(err) == k }
