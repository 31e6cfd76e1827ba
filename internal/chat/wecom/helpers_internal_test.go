package wecom

import "context"

type nopCursors struct{}

func (nopCursors) LoadCursor(context.Context, string, string) (string, error) { return "", nil }
func (nopCursors) SaveCursor(context.Context, string, string, string) error   { return nil }
