package main

//go:generate go run ./scripts/gqlgen
