package provider

import (
	"context"
	"log/slog"
	"slices"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// tflogHandler is the slog handler of the client's logger: it passes each record to
// Terraform's log (TF_LOG) with the context of the call it belongs to, which carries the
// resource's or data source's log fields.
type tflogHandler struct {
	attrs []slog.Attr // from WithAttrs
}

func (h tflogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h tflogHandler) Handle(ctx context.Context, r slog.Record) error {
	fields := make(map[string]any, len(h.attrs)+r.NumAttrs())
	for _, a := range h.attrs {
		fields[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		fields[a.Key] = a.Value.Any()
		return true
	})
	switch {
	case r.Level >= slog.LevelWarn:
		tflog.Warn(ctx, r.Message, fields)
	case r.Level >= slog.LevelInfo:
		tflog.Info(ctx, r.Message, fields)
	case r.Level >= slog.LevelDebug:
		tflog.Debug(ctx, r.Message, fields)
	default:
		tflog.Trace(ctx, r.Message, fields)
	}
	return nil
}

func (h tflogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return tflogHandler{attrs: append(slices.Clone(h.attrs), attrs...)}
}

// WithGroup is not used by the client: groups are flattened.
func (h tflogHandler) WithGroup(string) slog.Handler { return h }
