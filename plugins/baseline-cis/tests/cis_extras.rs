//! The CIS section 5 and HMS checks beyond the Pod Security Standards, over whole manifest sets.

use hms_plugin_baseline_cis::{Finding, Severity, check};
use serde_json::{Value, json};

const DIGEST: &str = "ghcr.io/hms/dcaa-audit@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const RESTRICTED: &str = r#"{"name":"cis-level-2"}"#;

fn namespace() -> Value {
    json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"dcaa","labels":{
        "pod-security.kubernetes.io/enforce":"restricted",
        "pod-security.kubernetes.io/enforce-version":"latest"}}})
}

fn network_policy() -> Value {
    json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny","namespace":"dcaa"},
        "spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}})
}

fn service_account() -> Value {
    json!({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"dcaa-audit","namespace":"dcaa"},
        "automountServiceAccountToken":false})
}

fn deployment() -> Value {
    json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"dcaa-audit","namespace":"dcaa"},
    "spec":{"replicas":10,"selector":{"matchLabels":{"app":"dcaa-audit"}},"template":{
      "metadata":{"labels":{"app":"dcaa-audit"}},
      "spec":{
        "serviceAccountName":"dcaa-audit",
        "automountServiceAccountToken":false,
        "securityContext":{"runAsNonRoot":true,"runAsUser":10001,"seccompProfile":{"type":"RuntimeDefault"}},
        "containers":[{
          "name":"app","image":DIGEST,
          "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},
          "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"1","memory":"512Mi"}},
          "livenessProbe":{"httpGet":{"path":"/healthz","port":8080}},
          "readinessProbe":{"httpGet":{"path":"/ready","port":8080}},
          "volumeMounts":[{"name":"creds","mountPath":"/creds","readOnly":true}]
        }],
        "volumes":[{"name":"creds","secret":{"secretName":"creds"}}]
      }}}})
}

fn texts(objects: &[Value]) -> Vec<String> {
    objects.iter().map(Value::to_string).collect()
}

fn codes(findings: &[Finding], severity: Severity) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.code.clone())
        .collect()
}

fn compliant() -> Vec<Value> {
    vec![
        namespace(),
        network_policy(),
        service_account(),
        deployment(),
    ]
}

#[test]
fn compliant_set_is_clean() {
    let findings = check(&texts(&compliant()), RESTRICTED, "dcaa");
    assert!(findings.is_empty(), "{findings:#?}");
    let baseline = check(
        &texts(&compliant()),
        r#"{"name":"cis-level-2","profile":"baseline"}"#,
        "dcaa",
    );
    assert!(baseline.is_empty(), "{baseline:#?}");
}

#[test]
fn findings_name_the_object_and_field() {
    let mut objects = compliant();
    objects[3]["spec"]["template"]["spec"]["containers"][0]["securityContext"]
        .as_object_mut()
        .map(|sc| sc.remove("allowPrivilegeEscalation"));
    let findings = check(&texts(&objects), RESTRICTED, "dcaa");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.code, "CIS-5.2.6");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.path,
        "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"
    );
    let o = f.object.as_ref().expect("object ref");
    assert_eq!(
        (
            o.group.as_str(),
            o.kind.as_str(),
            o.namespace.as_str(),
            o.name.as_str()
        ),
        ("apps", "Deployment", "dcaa", "dcaa-audit")
    );
    assert!(!f.hint.is_empty());
}

#[test]
fn service_account_token_automount() {
    // Token automount left to the ServiceAccount, which disables it: fine.
    let mut objects = compliant();
    objects[3]["spec"]["template"]["spec"]
        .as_object_mut()
        .map(|s| s.remove("automountServiceAccountToken"));
    assert!(check(&texts(&objects), RESTRICTED, "dcaa").is_empty());

    // Without the ServiceAccount object in the set the token counts as mounted.
    let without_sa = vec![objects[0].clone(), objects[1].clone(), objects[3].clone()];
    let findings = check(&texts(&without_sa), RESTRICTED, "dcaa");
    assert_eq!(codes(&findings, Severity::Error), ["CIS-5.1.6"]);
    assert_eq!(
        findings[0].path,
        "/spec/template/spec/automountServiceAccountToken"
    );

    // The default ServiceAccount with its token mounted: 5.1.5 and 5.1.6 errors.
    let mut objects = compliant();
    let spec = &mut objects[3]["spec"]["template"]["spec"];
    spec.as_object_mut().map(|s| s.remove("serviceAccountName"));
    spec["automountServiceAccountToken"] = json!(true);
    let findings = check(&texts(&objects), RESTRICTED, "dcaa");
    assert_eq!(
        codes(&findings, Severity::Error),
        ["CIS-5.1.6", "CIS-5.1.5"]
    );

    // The default ServiceAccount without a token: only a 5.1.5 warning.
    objects[3]["spec"]["template"]["spec"]["automountServiceAccountToken"] = json!(false);
    let findings = check(&texts(&objects), RESTRICTED, "dcaa");
    assert!(codes(&findings, Severity::Error).is_empty());
    assert_eq!(codes(&findings, Severity::Warning), ["CIS-5.1.5"]);
}

#[test]
fn namespace_controls() {
    // No NetworkPolicy: 5.3.2 on the Namespace object.
    let objects = vec![namespace(), service_account(), deployment()];
    let findings = check(&texts(&objects), RESTRICTED, "dcaa");
    assert_eq!(codes(&findings, Severity::Error), ["CIS-5.3.2"]);
    assert_eq!(
        findings[0].object.as_ref().map(|o| o.kind.as_str()),
        Some("Namespace")
    );

    // Weak or missing enforce label: 5.2.1 (baseline is enough for the baseline profile).
    let mut objects = compliant();
    objects[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = json!("baseline");
    let findings = check(&texts(&objects), RESTRICTED, "dcaa");
    assert_eq!(codes(&findings, Severity::Error), ["CIS-5.2.1"]);
    assert_eq!(
        findings[0].path,
        "/metadata/labels/pod-security.kubernetes.io~1enforce"
    );
    assert!(
        check(
            &texts(&objects),
            r#"{"name":"cis-level-2","profile":"baseline"}"#,
            "dcaa"
        )
        .is_empty()
    );
    objects[0]["metadata"]
        .as_object_mut()
        .map(|m| m.remove("labels"));
    assert_eq!(
        codes(
            &check(&texts(&objects), RESTRICTED, "dcaa"),
            Severity::Error
        ),
        ["CIS-5.2.1"]
    );

    // A Namespace without pods needs neither.
    let lone = vec![json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"empty"}})];
    assert!(check(&texts(&lone), RESTRICTED, "").is_empty());
}

#[test]
fn default_namespace() {
    let mut objects = compliant();
    for o in &mut objects[1..] {
        o["metadata"]["namespace"] = json!("default");
    }
    objects[0]["metadata"]["name"] = json!("default");
    let findings = check(&texts(&objects), RESTRICTED, "");
    let errors = codes(&findings, Severity::Error);
    assert_eq!(
        errors.iter().filter(|c| *c == "CIS-5.7.4").count(),
        3,
        "{errors:?}"
    );
    assert!(errors.iter().all(|c| c == "CIS-5.7.4"), "{errors:?}");

    // A pod-bearing object without a namespace.
    let mut objects = compliant();
    objects[3]["metadata"]
        .as_object_mut()
        .map(|m| m.remove("namespace"));
    let findings = check(&texts(&objects), RESTRICTED, "dcaa");
    assert_eq!(codes(&findings, Severity::Error), ["CIS-5.7.4"]);
    assert_eq!(findings[0].path, "/metadata/namespace");
}

#[test]
fn hardening_warnings() {
    let mut objects = compliant();
    {
        let c = &mut objects[3]["spec"]["template"]["spec"]["containers"][0];
        c["image"] = json!("ghcr.io/hms/dcaa-audit:1.0");
        if let Some(c) = c.as_object_mut() {
            c.remove("resources");
            c.remove("readinessProbe");
        }
        c["env"] =
            json!([{"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"creds","key":"pw"}}}]);
    }
    objects[3]["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = json!(1000);
    let findings = check(&texts(&objects), RESTRICTED, "dcaa");
    assert!(
        codes(&findings, Severity::Error).is_empty(),
        "{findings:#?}"
    );
    let mut warnings = codes(&findings, Severity::Warning);
    warnings.sort();
    assert_eq!(
        warnings,
        [
            "CIS-5.4.1",
            "HMS-IMAGE-DIGEST",
            "HMS-PROBES",
            "HMS-RESOURCES",
            "HMS-RUN-AS-USER"
        ]
    );
    let by_code = |code: &str| {
        findings
            .iter()
            .find(|f| f.code == code)
            .map(|f| f.path.clone())
    };
    assert_eq!(
        by_code("CIS-5.4.1").as_deref(),
        Some("/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef")
    );
    assert_eq!(
        by_code("HMS-PROBES").as_deref(),
        Some("/spec/template/spec/containers/0/readinessProbe")
    );
    assert_eq!(
        by_code("HMS-RUN-AS-USER").as_deref(),
        Some("/spec/template/spec/securityContext/runAsUser")
    );

    // podSecurityOnly turns every non-PSS check off.
    let pss_only = check(
        &texts(&objects),
        r#"{"name":"cis-level-2","podSecurityOnly":true}"#,
        "dcaa",
    );
    assert!(pss_only.is_empty(), "{pss_only:#?}");
}

#[test]
fn cronjob_template_is_checked() {
    let cron = json!({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c","namespace":"dcaa"},
        "spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{
            "containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}}}}});
    let findings = check(
        &texts(&[cron]),
        r#"{"name":"cis-level-2","profile":"baseline","podSecurityOnly":true}"#,
        "",
    );
    assert_eq!(codes(&findings, Severity::Error), ["CIS-5.2.2"]);
    assert_eq!(
        findings[0].path,
        "/spec/jobTemplate/spec/template/spec/containers/0/securityContext/privileged"
    );
}

#[test]
fn bad_input_is_a_finding_not_a_panic() {
    let findings = check(
        &["[1,2]".to_string(), "{not json".to_string()],
        RESTRICTED,
        "",
    );
    assert_eq!(
        codes(&findings, Severity::Error),
        ["BASELINE-INPUT", "BASELINE-INPUT"]
    );
    for params in ["", "{}", r#"{"name":"cis-level-2","profile":"privileged"}"#] {
        let findings = check(&texts(&compliant()), params, "dcaa");
        assert_eq!(
            codes(&findings, Severity::Error),
            ["BASELINE-INPUT"],
            "{params:?}"
        );
    }
    let odd = [
        json!({"kind":"Deployment","apiVersion":"apps/v1","spec":{"template":"x"}}),
        json!({"kind":"Pod","apiVersion":"v1","metadata":"m","spec":[]}),
        json!({"kind":5,"apiVersion":null,"metadata":{"namespace":7}}),
        json!({"kind":"Pod","apiVersion":"v1","spec":{"containers":[{"env":[{"valueFrom":7}],"resources":3,"image":{}}],
               "securityContext":{"runAsUser":"root","sysctls":{"a":1}},"volumes":"v"}}),
    ];
    let findings = check(&texts(&odd), RESTRICTED, "");
    assert!(
        codes(&findings, Severity::Error)
            .iter()
            .filter(|c| *c == "BASELINE-INPUT")
            .count()
            >= 2
    );
}
