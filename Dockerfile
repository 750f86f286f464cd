# syntax=docker/dockerfile:1
# SkillSwap API image: one static binary (serve, migrate, seed, reindex, rekey, erasure,
# healthcheck) on distroless, as a non-root user. Build: docker build -t skillswap .
# Run: docker run skillswap [serve|migrate|seed|reindex|...]; configuration is environment
# variables (README "Configuration"). `make deploy-check` validates this file offline.

# The Go release of the build: keep it at go.mod's `go` line or newer within the same minor (the
# deploy check compares them). Pin by digest too where a registry mirror allows it.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first: this layer is cached while go.mod and go.sum do not change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# CGO_ENABLED=0: a static binary, which the static distroless image (no libc) needs. Zone data
# is compiled in (domain imports time/tzdata), so digests and quiet hours need no tzdata package.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/skillswap .

# static-debian12: CA certificates, /etc/passwd with nonroot (65532), no shell, no libc.
FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /out/skillswap /skillswap
USER 65532:65532
EXPOSE 8080 9090
# The container's probe (docker, compose): the image has no curl. Kubernetes uses httpGet probes.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/skillswap", "healthcheck"]
ENTRYPOINT ["/skillswap"]
CMD ["serve"]
