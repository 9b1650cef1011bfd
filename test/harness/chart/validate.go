package chart

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/apivalidation"
	"github.com/datastores/datastores/test/harness/podsecurity"
)

// validate holds a render to what a cluster would accept and what the chart promises of every
// render: each object and hook passes the API server's validation for its kind (no duplicates),
// and every pod the chart can start passes the restricted Pod Security profile. RenderE returns
// this error, so every render test and every values file goes through it.
func (r *Release) validate() error {
	var problems []string
	if err := apivalidation.All(append(append([]runtime.Object{}, r.Objects...), r.Hooks...)); err != nil {
		problems = append(problems, err.Error())
	}
	for _, p := range r.PodTemplates() {
		for _, v := range podsecurity.Restricted(&p.Meta, &p.Spec) {
			problems = append(problems, fmt.Sprintf("%s: restricted Pod Security: %s", p.Owner, v))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the render would not be accepted as it is:\n%s", strings.Join(problems, "\n"))
	}
	return nil
}
