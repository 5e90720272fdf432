//! The simulated controllers: Deployments, PVCs, MachineDeployments and NodePools.

use serde_json::json;

use super::{APPLY, DEPLOY, deployment};
use crate::kube::TestServer;
use crate::kube::client::{call, eventually};

#[test]
fn the_deployment_controller_makes_pods_ready() {
    let server = TestServer::start();
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=hms-sys"),
        APPLY,
        &deployment("web", 3),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let status = eventually(|| {
        let d = server.get("apps", "deployments", "default", "web")?;
        (d["status"]["readyReplicas"] == 3).then(|| d["status"].clone())
    });
    assert_eq!(status["observedGeneration"], 1);
    assert_eq!(status["availableReplicas"], 3);
    assert_eq!(status["updatedReplicas"], 3);
    assert!(
        status["conditions"]
            .as_array()
            .expect("conditions")
            .iter()
            .any(|c| c["type"] == "Available" && c["status"] == "True")
    );
    let pods = call(
        &server,
        "GET",
        "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb",
        "",
        "",
    );
    let pods = pods.body["items"].as_array().expect("pods").clone();
    assert_eq!(pods.len(), 3);
    assert!(
        pods.iter()
            .all(|p| p["status"]["conditions"][0]["type"] == "Ready"
                && p["status"]["conditions"][0]["status"] == "True")
    );

    // Scaling down bumps the generation; the controller follows.
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=hms-sys"),
        APPLY,
        &deployment("web", 1),
    );
    assert_eq!(r.body["metadata"]["generation"], 2);
    eventually(|| {
        let d = server.get("apps", "deployments", "default", "web")?;
        (d["status"]["observedGeneration"] == 2 && d["status"]["readyReplicas"] == 1).then_some(())
    });
    eventually(|| (server.list("", "pods", Some("default")).len() == 1).then_some(()));
}

#[test]
fn pvcs_bind_and_node_pools_get_ready_nodes() {
    let server = TestServer::start();
    let pvc = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Ti"}}},
    });
    let r = call(
        &server,
        "PATCH",
        "/api/v1/namespaces/default/persistentvolumeclaims/data?fieldManager=t",
        APPLY,
        &pvc.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let md = json!({
        "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment",
        "metadata": {"name": "pool", "namespace": "default"},
        "spec": {"clusterName": "c", "replicas": 3, "template": {"metadata": {"labels": {
            "node.cluster.x-k8s.io/pool": "pool", "not-propagated": "x"}}}},
    });
    let r = call(
        &server,
        "PATCH",
        "/apis/cluster.x-k8s.io/v1beta2/namespaces/default/machinedeployments/pool?fieldManager=t",
        APPLY,
        &md.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let np = json!({
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "kp"},
        "spec": {"replicas": 2, "template": {"metadata": {"labels": {"team": "a"}}}},
    });
    let r = call(
        &server,
        "PATCH",
        "/apis/karpenter.sh/v1/nodepools/kp?fieldManager=t",
        APPLY,
        &np.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    eventually(|| {
        (server.get("", "persistentvolumeclaims", "default", "data")?["status"]["phase"] == "Bound")
            .then_some(())
    });
    let md = eventually(|| {
        let md = server.get("cluster.x-k8s.io", "machinedeployments", "default", "pool")?;
        (md["status"]["readyReplicas"] == 3).then_some(md)
    });
    assert_eq!(md["status"]["observedGeneration"], 1);
    let np = eventually(|| {
        let np = server.get("karpenter.sh", "nodepools", "", "kp")?;
        (np["status"]["conditions"][0]["status"] == "True").then_some(np)
    });
    assert_eq!(np["status"]["conditions"][0]["type"], "Ready");
    let ready = |selector: &str| {
        let r = call(
            &server,
            "GET",
            &format!("/api/v1/nodes?labelSelector={selector}"),
            "",
            "",
        );
        let nodes = r.body["items"].as_array().expect("nodes").clone();
        assert!(
            nodes
                .iter()
                .all(|n| n["status"]["conditions"][0]["status"] == "True"),
            "{nodes:?}"
        );
        nodes
    };
    let capi = ready("node.cluster.x-k8s.io%2Fpool%3Dpool");
    assert_eq!(capi.len(), 3);
    assert!(
        capi.iter()
            .all(|n| n["metadata"]["labels"].get("not-propagated").is_none())
    );
    assert_eq!(ready("karpenter.sh%2Fnodepool%3Dkp,team%3Da").len(), 2);
}
