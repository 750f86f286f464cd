// Package check validates the deployment files offline, without a container runtime or a
// cluster: the Dockerfile (buildkit's parser), compose.yaml (compose-go, schema-validated), the
// Helm chart (Helm's SDK: lint, then render as `helm template` does, every document decoded
// strictly into the k8s.io/api types) and the example Prometheus rules of docs/operations.md,
// all against the server's own code (config defaults, health paths, metric names). It is a
// module of its own so the server's module does not depend on Kubernetes or Helm.
//
// Run: make deploy-check (cd deploy/check && go test ./...).
package check

import "path/filepath"

// repoRoot is the server module's directory, relative to this package's.
var repoRoot = filepath.Join("..", "..")
