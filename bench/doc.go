// Package bench holds the SkillSwap benchmarks: Go micro-benchmarks (go test -bench) and the
// HTTP load scripts driven by bench/run.sh. See bench/README.md for what each one measures, the
// command that runs them and the latest measured results. It has no production code.
package bench
