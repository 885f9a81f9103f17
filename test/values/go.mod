// What the consumers of registry values decide, from their own code (see main.go): a module of its own, so
// that the test control plane's build (test/cluster) does not change with it.
module openvault.test/values

go 1.26.0

require (
	github.com/distribution/reference v0.6.0
	k8s.io/apimachinery v0.37.2
	k8s.io/utils v0.0.0-20260626114624-be93311217bd
)

require github.com/opencontainers/go-digest v1.0.0 // indirect
