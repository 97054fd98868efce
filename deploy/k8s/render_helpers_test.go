package k8s_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Names the manifests and these tests share.
const (
	gatewayName       = "nango-gateway"
	gatewayContainer  = "gateway"
	natsName          = "nango-gateway-nats"
	natsHeadless      = "nango-gateway-nats-headless"
	nangoSecret       = "nango-gateway"
	clientsSecret     = "nango-gateway-clients"
	clientsSecretKey  = "clients.yaml"
	natsConfigMapName = "nango-gateway-nats"
)

// serviceMonitor is the part of the Prometheus Operator's ServiceMonitor the component
// uses; decoding strictly into it still catches a misspelt field.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// rendered is one overlay's output, by kind and name.
type rendered struct {
	deployments     map[string]*appsv1.Deployment
	statefulSets    map[string]*appsv1.StatefulSet
	services        map[string]*corev1.Service
	serviceAccounts map[string]*corev1.ServiceAccount
	configMaps      map[string]*corev1.ConfigMap
	networkPolicies map[string]*networkingv1.NetworkPolicy
	hpas            map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs            map[string]*policyv1.PodDisruptionBudget
	serviceMonitors map[string]*serviceMonitor
}

// kinds maps apiVersion/kind to a new typed object and the map it goes in.
func (r *rendered) slot(apiVersion, kind string) (any, func(name string, obj any), bool) {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, func(n string, o any) { r.deployments[n] = o.(*appsv1.Deployment) }, true
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}, func(n string, o any) { r.statefulSets[n] = o.(*appsv1.StatefulSet) }, true
	case "v1/Service":
		return &corev1.Service{}, func(n string, o any) { r.services[n] = o.(*corev1.Service) }, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, func(n string, o any) { r.serviceAccounts[n] = o.(*corev1.ServiceAccount) }, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, func(n string, o any) { r.configMaps[n] = o.(*corev1.ConfigMap) }, true
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, func(n string, o any) { r.networkPolicies[n] = o.(*networkingv1.NetworkPolicy) }, true
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, func(n string, o any) { r.hpas[n] = o.(*autoscalingv2.HorizontalPodAutoscaler) }, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, func(n string, o any) { r.pdbs[n] = o.(*policyv1.PodDisruptionBudget) }, true
	case "monitoring.coreos.com/v1/ServiceMonitor":
		return &serviceMonitor{}, func(n string, o any) { r.serviceMonitors[n] = o.(*serviceMonitor) }, true
	}
	return nil, nil, false
}

// render builds the kustomization at dir (relative to deploy/k8s) with the given
// components added, and decodes every object strictly. A kind the test does not know, a
// Secret (nothing secret is committed) or a field the type lacks fails the test.
func render(t *testing.T, dir string, components ...string) *rendered {
	t.Helper()
	// An in-memory copy of deploy/k8s, so a test can add a kustomization of its own.
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".conf") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(filepath.Join("/k8s", p), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("/k8s", dir)
	if len(components) > 0 {
		root = "/k8s/test-" + strings.ReplaceAll(dir, "/", "-")
		k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../" + dir + "\ncomponents:\n"
		for _, c := range components {
			k += "  - ../" + c + "\n"
		}
		if err := mem.WriteFile(root+"/kustomization.yaml", []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, root)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	r := &rendered{
		deployments: map[string]*appsv1.Deployment{}, statefulSets: map[string]*appsv1.StatefulSet{},
		services: map[string]*corev1.Service{}, serviceAccounts: map[string]*corev1.ServiceAccount{},
		configMaps: map[string]*corev1.ConfigMap{}, networkPolicies: map[string]*networkingv1.NetworkPolicy{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		serviceMonitors: map[string]*serviceMonitor{},
	}
	for _, res := range resMap.Resources() {
		b, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, put, ok := r.slot(res.GetApiVersion(), res.GetKind())
		if !ok {
			t.Fatalf("%s renders %s %s %q, which this test does not check", dir, res.GetApiVersion(), res.GetKind(), res.GetName())
		}
		if err := yaml.UnmarshalStrict(b, obj); err != nil {
			t.Fatalf("%s: %s %q does not decode strictly: %v", dir, res.GetKind(), res.GetName(), err)
		}
		put(res.GetName(), obj)
	}
	return r
}

// gateway is the gateway's Deployment and its container.
func (r *rendered) gateway(t *testing.T) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	d, ok := r.deployments[gatewayName]
	if !ok {
		t.Fatalf("no Deployment %q", gatewayName)
	}
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == gatewayContainer {
			return d, c
		}
	}
	t.Fatalf("Deployment %q has no container %q", gatewayName, gatewayContainer)
	return nil, nil
}

// configMap finds a ConfigMap by the name written in the manifests: kustomize's generator
// adds a hash suffix, which the references in the pod spec carry too.
func (r *rendered) configMap(t *testing.T, name string) *corev1.ConfigMap {
	t.Helper()
	if cm, ok := r.configMaps[name]; ok {
		return cm
	}
	t.Fatalf("no ConfigMap %q", name)
	return nil
}

// podEnv is the environment the container gets from its spec (envFrom, then env), in the
// order the kubelet applies it; secret values are refused (secrets are files).
func (r *rendered) podEnv(t *testing.T, c *corev1.Container) []corev1.EnvVar {
	t.Helper()
	var out []corev1.EnvVar
	set := func(name, value string) {
		for i := range out {
			if out[i].Name == name {
				out[i].Value = value
				return
			}
		}
		out = append(out, corev1.EnvVar{Name: name, Value: value})
	}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm := r.configMap(t, from.ConfigMapRef.Name)
			keys := make([]string, 0, len(cm.Data))
			for k := range cm.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				set(from.Prefix+k, cm.Data[k])
			}
		default:
			t.Fatalf("container %q takes its environment from something other than a ConfigMap: %+v", c.Name, from)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			set(e.Name, e.Value)
		case e.ValueFrom.ConfigMapKeyRef != nil:
			set(e.Name, r.configMap(t, e.ValueFrom.ConfigMapKeyRef.Name).Data[e.ValueFrom.ConfigMapKeyRef.Key])
		default:
			t.Fatalf("container %q: %s comes from %+v; secrets are mounted files read through _FILE settings", c.Name, e.Name, e.ValueFrom)
		}
	}
	return out
}

func envValue(env []corev1.EnvVar, name string) (string, bool) {
	for _, e := range env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// documentedSettings reads the environment variables of the README's configuration table,
// with the _FILE variant of the secrets marked (`_FILE`).
func documentedSettings(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	name := regexp.MustCompile("^\\| `([A-Z0-9_]+)`( \\(`_FILE`\\))? \\|")
	out := map[string]bool{}
	inConfig := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inConfig = line == "## Configuration"
			continue
		}
		if m := name.FindStringSubmatch(line); inConfig && m != nil {
			out[m[1]] = true
			if m[2] != "" {
				out[m[1]+"_FILE"] = true
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d settings in the README's configuration table: has its format changed?", len(out))
	}
	return out
}
