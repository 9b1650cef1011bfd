package chart

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/scheme"
)

// fakeCluster answers the chart's `lookup` calls from a fixed set of objects.
type fakeCluster struct {
	client *fake.FakeDynamicClient
}

func newFakeCluster(objs []runtime.Object) (*fakeCluster, error) {
	return &fakeCluster{client: fake.NewSimpleDynamicClient(scheme.Scheme, objs...)}, nil
}

// GetClientFor implements engine.ClientProvider. Every kind the chart looks up is namespaced
// and its resource is the lower-case plural of its kind.
func (c *fakeCluster) GetClientFor(apiVersion, kind string) (dynamic.NamespaceableResourceInterface, bool, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, false, err
	}
	return c.client.Resource(gv.WithResource(strings.ToLower(kind) + "s")), true, nil
}
