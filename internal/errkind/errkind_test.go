package errkind

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestOfAndMessage(t *testing.T) {
	base := Errorf(NotFound, "group %d not found", 7)
	wrapped := fmt.Errorf("load page: %w", base)
	tests := []struct {
		name string
		err  error
		kind Kind
		msg  string
	}{
		{"nil", nil, "", "internal error"},
		{"plain", io.EOF, Internal, "internal error"},
		{"kinded", base, NotFound, "group 7 not found"},
		{"wrapped", wrapped, NotFound, "group 7 not found"},
		{"with cause", Errorf(Invalid, "decode body: %w", io.ErrUnexpectedEOF), Invalid, "decode body: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.kind {
				t.Errorf("Of = %q, want %q", got, tt.kind)
			}
			if got := Message(tt.err); got != tt.msg {
				t.Errorf("Message = %q, want %q", got, tt.msg)
			}
		})
	}
	if !errors.Is(Errorf(Invalid, "x: %w", io.EOF), io.EOF) {
		t.Error("Errorf with %w must keep the cause for errors.Is")
	}
	if !Is(wrapped, NotFound) || Is(wrapped, Invalid) {
		t.Error("Is disagrees with Of")
	}
}
