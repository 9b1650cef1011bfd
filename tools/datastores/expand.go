package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/datastores/datastores/tools/datastores/cluster"
	"github.com/datastores/datastores/tools/datastores/volume"
)

const expandUsage = `Usage: datastores expand -n/--namespace NS --release NAME (--instance NAME | --redis) --size SIZE [flags]

Grows a server's data volume, which helm upgrade cannot do (a StatefulSet's claim templates are
immutable): the claims grow (the StorageClass must allow expansion), the StatefulSet is deleted
with its pods left running, and the helm upgrade this prints creates it again with the new size.`

// expandCommand runs the expand procedure, or with --dry-run only checks it.
func expandCommand(args []string, stdout, stderr io.Writer) int {
	c := newCommand("datastores expand", expandUsage, stdout, stderr)
	fs := c.fs
	namespace := fs.String("namespace", "", "the release's namespace")
	fs.StringVar(namespace, "n", "", "shorthand for --namespace")
	release := fs.String("release", "", "the Helm release")
	instance := fs.String("instance", "", "the PostgreSQL instance (postgres.instances.<name>)")
	redis := fs.Bool("redis", false, "the Redis server instead of a PostgreSQL instance")
	sizeFlag := fs.String("size", "", "the new size, e.g. 20Gi")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
	context_ := fs.String("context", "", "kubeconfig context")
	dryRun := fs.Bool("dry-run", false, "check, change nothing")
	waitFor := fs.Duration("wait", 2*time.Minute, "how long to wait for the claims to grow after the upgrade (0: do not wait)")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if *namespace == "" || *release == "" || *sizeFlag == "" || (*instance == "" && !*redis) {
		return c.missing("--namespace, --release, --size and one of --instance NAME or --redis are required")
	}
	var both error
	if *instance != "" && *redis {
		both = fmt.Errorf("--instance %q and --redis: give one of them (a PostgreSQL instance, or the Redis server)", *instance)
	}
	size, sizeErr := checkSize(*sizeFlag)
	if code := c.fail(both, checkNamespace(*namespace), checkRelease(*release), checkInstance(*instance), sizeErr, checkWait(*waitFor)); code != 0 {
		return code
	}
	statefulSet, valueKey := *release+"-postgres-"+*instance, "postgres.instances."+*instance+".persistence.size"
	if *redis {
		statefulSet, valueKey = *release+"-redis", "redis.persistence.size"
	}
	cl, err := cluster.Connect(*kubeconfig, *context_)
	if err != nil {
		return c.fail(fmt.Errorf("kubeconfig: %w", err))
	}
	client := cl.Client
	ctx := context.Background()
	plan, err := volume.Prepare(ctx, client, *namespace, statefulSet, size)
	if err != nil {
		c.fail(err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s -> %s, claims %v\n", statefulSet, plan.From.String(), plan.To.String(), plan.Claims)
	if *dryRun {
		return 0
	}
	if err := volume.Expand(ctx, client, *namespace, plan, stdout); err != nil {
		c.fail(err)
		return 1
	}
	fmt.Fprintf(stdout, "\nNow set %s: %s in your values and run helm upgrade %s (with your usual values):\n  helm upgrade %s <chart> -n %s -f <your values> --set %s=%s\nIt creates the StatefulSet again; it adopts the running pod.\n",
		valueKey, size.String(), *release, *release, *namespace, valueKey, size.String())
	if *waitFor > 0 && len(plan.Claims) > 0 {
		if err := volume.Resized(ctx, client, *namespace, plan, *waitFor, stdout); err != nil {
			c.fail(err)
			return 1
		}
	}
	return 0
}
