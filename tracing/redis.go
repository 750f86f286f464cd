package tracing

import (
	"context"
	"errors"
	"net"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// RedisHook returns a go-redis hook recording a client span per command (or pipeline), named
// by the command, never with its keys or arguments (rate-limit keys hold member ids and
// addresses). Like the pgx tracer, it starts spans only under a recording span, so the broker's
// receive loop and unsampled requests cost nothing.
func (p *Provider) RedisHook() redis.Hook { return redisHook{tracer: p.Tracer()} }

type redisHook struct{ tracer trace.Tracer }

// DialHook implements redis.Hook (dials are not traced).
func (redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !recording(ctx) {
			return next(ctx, cmd)
		}
		name := cmd.Name()
		ctx, span := h.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("db.system.name", "redis"), attribute.String("db.operation.name", name)))
		err := next(ctx, cmd)
		endRedis(span, err)
		return err
	}
}

// ProcessPipelineHook implements redis.Hook.
func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !recording(ctx) {
			return next(ctx, cmds)
		}
		ctx, span := h.tracer.Start(ctx, "pipeline", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("db.system.name", "redis"), attribute.String("db.operation.name", "pipeline"),
			attribute.Int("db.operation.batch.size", len(cmds))))
		err := next(ctx, cmds)
		endRedis(span, err)
		return err
	}
}

func endRedis(span trace.Span, err error) {
	if err != nil && !errors.Is(err, redis.Nil) {
		// A network error's text names the address; a Redis error its kind (WRONGTYPE ...).
		var ne net.Error
		if errors.As(err, &ne) {
			span.SetStatus(codes.Error, "network error")
		} else {
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End()
}
