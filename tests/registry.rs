//! The plugin supply chain against a real registry (Debian's `docker-registry`, distribution
//! 2.8, started per test on a free loopback port) and a fault-injecting one: push, pull, the
//! store, rendering offline, cosign-format signatures and the trust policy, save/load for an
//! air gap, interop with skopeo and openssl, and failures that leave the store consistent.

mod server;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;
use server::{Fault, Faulty, Real, Served};

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A project directory: its plugin store and keys live here.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn store(&self) -> String {
        self.path("store").display().to_string()
    }
    /// `hms-sys plugin ARGS --store STORE`.
    fn plugin(&self, args: &[&str]) -> Run {
        let store = self.store();
        let mut all = vec!["plugin"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--store", &store]);
        hms(&all)
    }
    fn push(&self, reg: &str, file: &Path, repo: &str) -> String {
        let r = format!("{reg}/{repo}");
        let cache = cache_dir().display().to_string();
        let run = self.plugin(&["push", p(file), &r, "--plain-http", "--cache-dir", &cache]);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout.trim().to_string()
    }
    fn keygen(&self, name: &str) -> (PathBuf, PathBuf) {
        let prefix = self.path(name);
        let run = hms(&["plugin", "keygen", p(&prefix)]);
        assert_eq!(run.code, 0, "{run:?}");
        (
            self.path(&format!("{name}.key")),
            self.path(&format!("{name}.pub")),
        )
    }
    /// The agency example with both its plugins named by these references, in this project.
    fn spec(&self, storage: &str, baseline: &str) -> PathBuf {
        let text = std::fs::read_to_string(agency_example())
            .expect("example")
            .replace("./plugins/netapp-trident.wasm", storage)
            .replace("./plugins/agency-rules.wasm", baseline);
        let path = self.path("spec.yml");
        std::fs::write(&path, text).expect("spec");
        path
    }
    fn render(&self, spec: &Path, extra: &[&str]) -> Run {
        let store = self.store();
        let mut args = vec!["render", p(spec), "--store", &store];
        args.extend_from_slice(extra);
        hms(&args)
    }
    fn policy(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).expect("policy");
        path.display().to_string()
    }
}

/// The agency example rendered from local files, for comparison.
fn local_render() -> String {
    let text = std::fs::read_to_string(agency_example()).expect("example");
    let (_d, spec) = agency_project(&text);
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout
}

fn manifest_json(project: &Project, pinned: &str) -> serde_json::Value {
    let digest = pinned.rsplit('@').next().expect("pinned");
    let path = project.path("store/blobs/sha256").join(&digest[7..]);
    serde_json::from_slice(&std::fs::read(path).expect("manifest in store")).expect("json")
}

#[test]
fn push_pull_and_render_offline_from_the_store() {
    let reg = Real::start();
    let author = Project::new();
    let storage = author.push(&reg.addr, &netapp_trident_wasm(), "agency/trident:1.0");
    let baseline = author.push(&reg.addr, &agency_rules_wasm(), "agency/rules:1.0");
    assert!(
        storage.starts_with(&format!("oci://{}/agency/trident@sha256:", reg.addr)),
        "{storage}"
    );

    // The Wasm OCI artifact layout.
    let m = manifest_json(&author, &storage);
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(m["layers"].as_array().map(Vec::len), Some(1));
    assert_eq!(m["layers"][0]["mediaType"], "application/wasm");
    let wasm = std::fs::read(netapp_trident_wasm()).expect("wasm");
    assert_eq!(m["layers"][0]["digest"], hms_plugin::digest_of(&wasm));
    assert_eq!(
        m["annotations"]["org.opencontainers.image.title"],
        "netapp-trident"
    );
    assert!(m["annotations"]["org.opencontainers.image.version"].is_string());
    assert!(m["annotations"]["org.opencontainers.image.created"].is_string());
    let config_digest = m["config"]["digest"].as_str().expect("digest");
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(author.path("store/blobs/sha256").join(&config_digest[7..]))
            .expect("config"),
    )
    .expect("json");
    assert_eq!(config["architecture"], "wasm");
    assert_eq!(config["os"], "wasip2");
    assert_eq!(config["layerDigests"][0], m["layers"][0]["digest"]);
    assert_eq!(
        config["component"]["target"],
        "hms:sys/section-plugin@0.2.0"
    );
    assert_eq!(
        config["component"]["exports"],
        serde_json::json!(["hms:sys/section@0.2.0", "hms:sys/status@0.2.0"])
    );
    assert!(
        config["component"]["imports"]
            .as_array()
            .is_some_and(|i| !i.is_empty())
    );

    // Another machine pulls by tag (the digest is the one pushed) and by digest.
    let user = Project::new();
    let run = user.plugin(&[
        "pull",
        &format!("{}/agency/trident:1.0", reg.addr),
        "--plain-http",
    ]);
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, storage.as_str()),
        "{run:?}"
    );
    let by_digest = baseline.trim_start_matches("oci://");
    let run = user.plugin(&["pull", by_digest, "--plain-http"]);
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, baseline.as_str()),
        "{run:?}"
    );

    // The registry goes away: the spec still renders, from the store, as the local files do.
    drop(reg);
    let spec = user.spec(&storage, &baseline);
    let run = user.render(&spec, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, local_render());
    let run = hms(&["plugins", "list", p(&spec), "--store", &user.store()]);
    assert!(run.stdout.contains("agency/trident@sha256:"), "{run:?}");
}

#[test]
fn a_registry_plugin_not_in_the_store_or_pinned_by_tag_is_refused() {
    let project = Project::new();
    let missing = format!(
        "oci://registry.example/agency/trident@sha256:{}",
        "ab".repeat(32)
    );
    let spec = project.spec(&missing, "./rules.wasm");
    let run = project.render(&spec, &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("error[HMS-STORE]")
            && run.stderr.contains("is not in the plugin store"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains(&format!("hms-sys plugin pull {missing}")),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("spec.yml:5:"),
        "located at the reference: {run:?}"
    );

    let spec = project.spec("oci://registry.example/agency/trident:1.0", "./rules.wasm");
    let run = project.render(&spec, &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("is not pinned"), "{run:?}");
}

#[test]
fn signatures_in_cosign_format_and_the_trust_policy() {
    let reg = Real::start();
    let author = Project::new();
    let (key, public) = author.keygen("release");
    let (_, stranger) = author.keygen("stranger");
    let storage = author.push(&reg.addr, &netapp_trident_wasm(), "agency/trident:1.0");
    let baseline = author.push(&reg.addr, &agency_rules_wasm(), "agency/rules:1.0");
    let run = author.plugin(&[
        "sign",
        "--key",
        p(&key),
        storage.trim_start_matches("oci://"),
        "--plain-http",
    ]);
    assert_eq!(run.code, 0, "{run:?}");

    // cosign's layout: tag sha256-<hex>.sig, a simple-signing layer with the signature
    // annotation; the payload verifies with openssl against the PEM public key.
    let digest = storage.rsplit('@').next().expect("digest").to_string();
    let user = Project::new();
    let run = user.plugin(&["pull", storage.trim_start_matches("oci://"), "--plain-http"]);
    assert_eq!(run.code, 0, "{run:?}");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(user.path("store/index.json")).expect("index"))
            .expect("json");
    let sig_name = format!(
        "{}/agency/trident:{}.sig",
        reg.addr,
        digest.replace(':', "-")
    );
    let sig = index["manifests"]
        .as_array()
        .and_then(|m| {
            m.iter().find(|d| {
                d["annotations"]["org.opencontainers.image.ref.name"] == sig_name.as_str()
            })
        })
        .unwrap_or_else(|| panic!("{sig_name} in {index}"));
    let sig_manifest = manifest_json(&user, &format!("x@{}", sig["digest"].as_str().expect("d")));
    let layer = &sig_manifest["layers"][0];
    assert_eq!(
        layer["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let payload_path = user
        .path("store/blobs/sha256")
        .join(&layer["digest"].as_str().expect("d")[7..]);
    let payload: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&payload_path).expect("payload")).expect("json");
    assert_eq!(
        payload,
        serde_json::json!({"critical": {"identity": {"docker-reference": format!("{}/agency/trident", reg.addr)},
            "image": {"docker-manifest-digest": digest}, "type": "cosign container image signature"}, "optional": null})
    );
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            layer["annotations"]["dev.cosignproject.cosign/signature"]
                .as_str()
                .expect("sig"),
        )
        .expect("base64");
    let sig_file = user.path("sig.der");
    std::fs::write(&sig_file, der).expect("sig");
    let openssl = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-verify",
            p(&public),
            "-signature",
            p(&sig_file),
            p(&payload_path),
        ])
        .output()
        .expect("openssl");
    assert!(openssl.status.success(), "openssl verify: {openssl:?}");

    // plugin verify: online and offline; the wrong key fails.
    let bare = storage.trim_start_matches("oci://");
    let run = user.plugin(&["verify", "--key", p(&public), bare, "--plain-http"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signed by"), "{run:?}");
    let run = user.plugin(&["verify", "--key", p(&stranger), bare, "--offline"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("error[HMS-TRUST]") && run.stderr.contains("by no key"),
        "{run:?}"
    );

    // Under a policy: the signed plugin renders; the unsigned one is refused before compiling.
    user.plugin(&[
        "pull",
        baseline.trim_start_matches("oci://"),
        "--plain-http",
    ]);
    drop(reg);
    let trusted = user.policy(
        "trusted.yml",
        &format!(
            "keys:\n  release: {}\nplugins:\n  - match: \"*\"\n    keys: [release]\n",
            public.display()
        ),
    );
    let spec = user.spec(&storage, &baseline);
    let run = user.render(&spec, &["--trust-policy", &trusted]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("error[HMS-TRUST]")
            && run.stderr.contains("agency/rules@sha256:")
            && run.stderr.contains("is not signed"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("agency/trident@sha256"),
        "the signed one passes: {run:?}"
    );
    assert!(run.stderr.contains("hms-sys plugin sign"), "{run:?}");

    // Signed offline, in the store, it renders.
    let run = user.plugin(&[
        "sign",
        "--key",
        p(&key),
        baseline.trim_start_matches("oci://"),
        "--offline",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = user.render(&spec, &["--trust-policy", &trusted]);
    assert_eq!(run.code, 0, "{run:?}");

    // Signed by a key the policy does not trust.
    let wrong = user.policy(
        "wrong.yml",
        &format!(
            "keys:\n  other: {}\nplugins:\n  - match: oci://*\n    keys: [other]\n",
            stranger.display()
        ),
    );
    let run = user.render(&spec, &["--trust-policy", &wrong]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("but by no key the policy accepts"),
        "{run:?}"
    );

    // A local file under the policy is refused; without one it renders with a note (-v).
    let (_d, local) = agency_project(&std::fs::read_to_string(agency_example()).expect("example"));
    let run = hms(&["render", p(&local), "--trust-policy", &trusted]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("a local file carries none"), "{run:?}");
    let child = spawn_hms(&[
        "-v".into(),
        "render".into(),
        p(&local).into(),
        "--cache-dir".into(),
        cache_dir().display().to_string(),
    ]);
    let run = wait_child(child, std::time::Duration::from_secs(300));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("unsigned local plugin"), "{run:?}");
    let dev = user.policy("dev.yml", &format!(
        "keys:\n  release: {}\nplugins:\n  - match: oci://*\n    keys: [release]\n  - match: ./plugins/*\n    unsigned: true\n",
        public.display()
    ));
    let run = hms(&["render", p(&local), "--trust-policy", &dev]);
    assert_eq!(run.code, 0, "{run:?}");

    // Tampered in the store: refused before it is compiled, whatever the policy.
    let wasm_digest = hms_plugin::digest_of(&std::fs::read(netapp_trident_wasm()).expect("wasm"));
    let blob = user.path("store/blobs/sha256").join(&wasm_digest[7..]);
    let mut bytes = std::fs::read(&blob).expect("blob");
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&blob, bytes).expect("tamper");
    let run = user.render(&spec, &["--trust-policy", &trusted]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("error[HMS-STORE]") && run.stderr.contains("has been altered"),
        "{run:?}"
    );
}

#[test]
fn save_and_load_carry_plugins_and_signatures_across_an_air_gap() {
    let reg = Real::start();
    let online = Project::new();
    let (key, public) = online.keygen("release");
    let storage = online.push(&reg.addr, &netapp_trident_wasm(), "agency/trident:1.0");
    let baseline = online.push(&reg.addr, &agency_rules_wasm(), "agency/rules:1.0");
    for r in [&storage, &baseline] {
        let run = online.plugin(&[
            "sign",
            "--key",
            p(&key),
            r.trim_start_matches("oci://"),
            "--plain-http",
        ]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    // Saved from a fresh store: save pulls what is missing, signatures included.
    let courier = Project::new();
    let tar = courier.path("plugins.tar");
    let run = courier.plugin(&[
        "save",
        storage.trim_start_matches("oci://"),
        baseline.trim_start_matches("oci://"),
        "-o",
        p(&tar),
        "--plain-http",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("2 plugin(s) and 2 signature manifest(s)"),
        "{run:?}"
    );
    drop(reg);

    let offline = Project::new();
    let run = offline.plugin(&["load", p(&tar)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("agency/trident@sha256:"), "{run:?}");
    let policy = offline.policy(
        "policy.yml",
        &format!(
            "keys:\n  release: {}\nplugins:\n  - match: oci://*\n    keys: [release]\n",
            public.display()
        ),
    );
    let spec = offline.spec(&storage, &baseline);
    let run = offline.render(&spec, &["--trust-policy", &policy]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, local_render());
    let run = offline.plugin(&[
        "verify",
        "--key",
        p(&public),
        storage.trim_start_matches("oci://"),
        "--offline",
    ]);
    assert_eq!(run.code, 0, "{run:?}");

    // A tarball with an altered blob is refused and adds nothing.
    let bytes = std::fs::read(&tar).expect("tar");
    let wasm = std::fs::read(netapp_trident_wasm()).expect("wasm");
    let at = bytes
        .windows(64)
        .position(|w| w == &wasm[..64])
        .expect("component in tarball");
    let mut bad = bytes.clone();
    bad[at + 100] ^= 0xff;
    let bad_tar = offline.path("bad.tar");
    std::fs::write(&bad_tar, bad).expect("write");
    let fresh = Project::new();
    let run = fresh.plugin(&["load", p(&bad_tar)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("does not match"), "{run:?}");
    let index = std::fs::read_to_string(fresh.path("store/index.json")).unwrap_or_default();
    assert!(!index.contains("agency/"), "nothing was named: {index}");
}

/// The artifact the fault registry serves, laid out by a real push into a throwaway store.
fn served() -> (Served, String) {
    let reg = Real::start();
    let project = Project::new();
    let pinned = project.push(&reg.addr, &netapp_trident_wasm(), "agency/trident:1.0");
    let m = manifest_json(&project, &pinned);
    let blob = |d: &str| {
        (
            d[7..].to_string(),
            std::fs::read(project.path("store/blobs/sha256").join(&d[7..])).expect("blob"),
        )
    };
    let digest = pinned.rsplit('@').next().expect("d").to_string();
    let manifest = std::fs::read(project.path("store/blobs/sha256").join(&digest[7..])).expect("m");
    let blobs = vec![
        blob(m["config"]["digest"].as_str().expect("d")),
        blob(m["layers"][0]["digest"].as_str().expect("d")),
    ];
    (Served { manifest, blobs }, digest)
}

/// Pulls `repo:t` from a fault registry into a fresh store: the run and the store's project.
fn pull_from(addr: &str, extra: &[&str]) -> (Run, Project) {
    let project = Project::new();
    let r = format!("{addr}/agency/trident:t");
    let mut args = vec!["pull", r.as_str(), "--plain-http"];
    args.extend_from_slice(extra);
    let run = project.plugin(&args);
    (run, project)
}

/// Nothing but whole, named blobs in the store: no manifest, no temporary file.
fn assert_nothing_usable(project: &Project, digest: &str) {
    let blobs = project.path("store/blobs/sha256");
    let names: Vec<String> = std::fs::read_dir(&blobs)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !names.iter().any(|n| n.starts_with(".tmp")),
        "temporary files left: {names:?}"
    );
    assert!(
        !names.contains(&digest[7..].to_string()),
        "the manifest was stored: {names:?}"
    );
    let index = std::fs::read_to_string(project.path("store/index.json")).unwrap_or_default();
    assert!(!index.contains("agency/"), "{index}");
}

#[test]
fn registry_failures_are_clear_and_leave_the_store_consistent() {
    let (served, digest) = served();

    // Down: nothing listens on the port.
    let down = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .to_string();
    let (run, project) = pull_from(&down, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("error[HMS-REGISTRY]") && run.stderr.contains("cannot reach registry"),
        "{run:?}"
    );
    assert!(run.stderr.contains("after 4 attempts"), "{run:?}");
    assert_nothing_usable(&project, &digest);

    for (code, says) in [
        (500, "failed (HTTP 500) (after 4 attempts)"),
        (429, "limiting requests (HTTP 429) (after 4 attempts)"),
    ] {
        let faulty = Faulty::start(Fault::Status(code), served.clone());
        let (run, project) = pull_from(&faulty.addr, &[]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(says), "{code}: {run:?}");
        assert_nothing_usable(&project, &digest);
    }

    // Slow: a registry that accepts and never answers.
    let faulty = Faulty::start(Fault::Hang, served.clone());
    let (run, project) = pull_from(&faulty.addr, &["--timeout", "300ms"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("did not answer within 0.3 s"),
        "{run:?}"
    );
    assert_nothing_usable(&project, &digest);

    // A blob whose content does not match its digest.
    let faulty = Faulty::start(Fault::CorruptBlob, served.clone());
    let (run, project) = pull_from(&faulty.addr, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("does not match"), "{run:?}");
    assert_nothing_usable(&project, &digest);

    // Interrupted mid-blob (every attempt): nothing usable; the next pull starts clean.
    let faulty = Faulty::start(Fault::TruncateBlob, served.clone());
    let (run, project) = pull_from(&faulty.addr, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_nothing_usable(&project, &digest);
    let ok = Faulty::start(Fault::None, served.clone()).addr;
    let r = format!("{ok}/agency/trident:t");
    let run = project.plugin(&["pull", &r, "--plain-http"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.trim().ends_with(&digest), "{run:?}");
}

#[test]
fn skopeo_reads_what_hms_sys_pushes_and_hms_sys_pulls_what_skopeo_pushes() {
    let reg = Real::start();
    let project = Project::new();
    let pinned = project.push(&reg.addr, &netapp_trident_wasm(), "agency/trident:1.0");
    let digest = pinned.rsplit('@').next().expect("d");
    let skopeo = |args: &[&str]| {
        let out = Command::new("skopeo").args(args).output().unwrap_or_else(|e| {
            panic!("the interop test needs skopeo (`apt-get install -y skopeo`, .ci/run installs it): {e}")
        });
        assert!(
            out.status.success(),
            "skopeo {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{}/agency/trident:1.0", reg.addr),
    ]);
    assert_eq!(hms_plugin::digest_of(&raw), digest);
    // skopeo copies the artifact to another repository; hms-sys pulls it from there.
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{}/agency/trident:1.0", reg.addr),
        &format!("docker://{}/mirror/trident:copied", reg.addr),
    ]);
    let other = Project::new();
    let run = other.plugin(&[
        "pull",
        &format!("{}/mirror/trident:copied", reg.addr),
        "--plain-http",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.trim().ends_with(digest),
        "the same artifact: {run:?}"
    );

    // The air-gap tarball both ways: skopeo reads what `plugin save` writes, and `plugin load`
    // reads what skopeo writes.
    let tar = project.path("saved.tar");
    let bare = pinned.trim_start_matches("oci://");
    let run = project.plugin(&["save", bare, "-o", p(&tar)]);
    assert_eq!(run.code, 0, "{run:?}");
    let raw = skopeo(&[
        "inspect",
        "--raw",
        &format!("oci-archive:{}:{bare}", p(&tar)),
    ]);
    assert_eq!(hms_plugin::digest_of(&raw), digest);
    let theirs = project.path("skopeo.tar");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{}/agency/trident:1.0", reg.addr),
        &format!("oci-archive:{}:trident", p(&theirs)),
    ]);
    let offline = Project::new();
    let run = offline.plugin(&["load", p(&theirs)]);
    assert_eq!(run.code, 0, "{run:?}");
    let spec = offline.spec(&pinned, "./rules.wasm");
    std::fs::copy(agency_rules_wasm(), offline.path("rules.wasm")).expect("copy");
    let run = offline.render(&spec, &[]);
    assert_eq!(run.code, 0, "{run:?}");
}
