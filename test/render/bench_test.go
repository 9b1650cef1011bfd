package render_test

import (
	"testing"

	"github.com/datastores/datastores/test/harness/chart"
)

// BenchmarkRender measures a full `helm install`-equivalent render (load, values, schema,
// templates, decode) with certificates generated at install, as a fresh install does.
func BenchmarkRender(b *testing.B) {
	for _, bm := range []struct{ name, values string }{{"dev", devValues}, {"bakery-ia-14-instances", bakeryValues}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := chart.RenderE(chart.Options{ValuesFiles: []string{bm.values}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderRSA is the same 14-instance render with RSA keys, to show why ECDSA is the default.
func BenchmarkRenderRSA(b *testing.B) {
	for b.Loop() {
		if _, err := chart.RenderE(chart.Options{ValuesFiles: []string{bakeryValues}, SetValues: map[string]string{"global.tls.generate.keyAlgorithm": "rsa"}}); err != nil {
			b.Fatal(err)
		}
	}
}
