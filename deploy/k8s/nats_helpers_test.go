package k8s_test

import (
	"path"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// natsNode is what the NATS StatefulSet gives each of its servers.
type natsNode struct {
	container   *corev1.Container
	config      string // nats.conf, as mounted
	dataMount   string // where the volume claim is mounted
	clientPort  int32
	clusterPort int32
}

func natsNodeOf(t *testing.T, r *rendered) natsNode {
	t.Helper()
	sts, ok := r.statefulSets[natsName]
	if !ok {
		t.Fatalf("no StatefulSet %q", natsName)
	}
	pod := sts.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("NATS pod has %d containers, want 1", len(pod.Containers))
	}
	c := &pod.Containers[0]
	n := natsNode{container: c, clientPort: containerPort(t, c, "client"), clusterPort: containerPort(t, c, "cluster")}

	var configPath string
	for i, a := range c.Args {
		if (a == "--config" || a == "-c") && i+1 < len(c.Args) {
			configPath = c.Args[i+1]
		}
	}
	if configPath == "" {
		t.Fatalf("NATS args %v name no --config", c.Args)
	}
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil && m.MountPath == path.Dir(configPath) {
				n.config = r.configMap(t, v.ConfigMap.Name).Data[path.Base(configPath)]
			}
		}
		for _, pvc := range sts.Spec.VolumeClaimTemplates {
			if pvc.Name == m.Name {
				n.dataMount = m.MountPath
			}
		}
	}
	if n.config == "" {
		t.Fatalf("%s is not a file of a mounted ConfigMap", configPath)
	}
	if n.dataMount == "" {
		t.Fatal("the NATS volume claim is not mounted")
	}
	return n
}
