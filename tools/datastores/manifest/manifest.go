// Package manifest reads Kubernetes manifests (the output of `helm template`, `kubectl get -o
// yaml`, hand-written files) into an inventory. Every built-in kind decodes into its typed object
// with client-go's scheme; kinds the audit does not read (CRDs such as cert-manager's
// Certificate) are skipped, not refused, so any chart's output can be audited.
package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/datastores/datastores/tools/datastores/inventory"
)

// Read decodes every document of a YAML (or JSON) stream into inv. A "List" document (kubectl's
// output for several objects) contributes its items.
func Read(r io.Reader, inv *inventory.Inventory) error {
	docs := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for n := 1; ; n++ {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d: %w", n, err)
		}
		if err := add(doc, inv); err != nil {
			return fmt.Errorf("document %d: %w", n, err)
		}
	}
}

func add(doc []byte, inv *inventory.Inventory) error {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil
	}
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	if tm.Kind == "" {
		return nil // a document of comments only
	}
	if tm.Kind == "List" || (len(tm.Kind) > 4 && tm.Kind[len(tm.Kind)-4:] == "List") {
		var list struct {
			Items []runtime.RawExtension `json:"items"`
		}
		if err := yaml.Unmarshal(doc, &list); err != nil {
			return err
		}
		for _, item := range list.Items {
			if err := add(item.Raw, inv); err != nil {
				return err
			}
		}
		return nil
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
	if runtime.IsNotRegisteredError(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	inv.Add(obj)
	return nil
}
