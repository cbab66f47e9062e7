package registry

import "github.com/imgdiff/imgdiff/layers/registry/registrytest"

// The helpers the ranged tests share with package layers' registry tests.
var (
	randomBlob = registrytest.RandomBlob
	rangeStart = registrytest.RangeStart
	drop       = registrytest.Drop
)
