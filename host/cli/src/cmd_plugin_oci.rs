//! `hms-sys plugin push|pull|sign|verify|save|load|keygen`: plugins through OCI registries and
//! air gaps. Everything of substance is in `hms-oci` (references, the store, signatures, the
//! trust policy, the registry client); this file reads the command line and says what happened.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use hms_oci::artifact::{Component, PluginInfo, now_rfc3339, wasm_artifact};
use hms_oci::registry::{Options, Registry};
use hms_oci::sign::{PrivateKey, PublicKey, payload, signature_layer};
use hms_oci::store::Store;
use hms_oci::{ErrorKind, RegistryRef};
use hms_plugin::{Cache, Limits, Runtime, World};

use crate::cli::report;
use crate::exit;
use crate::problem::Problem;
use crate::style::Style;

/// The supply-chain subcommands of `hms-sys plugin`.
#[derive(Subcommand, Debug)]
pub enum OciCommand {
    /// Push a plugin component to a registry as a Wasm OCI artifact; prints its pinned
    /// reference (`oci://REGISTRY/REPO@sha256:...`) for a spec's `plugins:`.
    Push(PushArgs),
    /// Pull a plugin and its signatures from a registry into the local plugin store; prints
    /// its pinned reference.
    Pull(PullArgs),
    /// Sign a plugin in cosign's format (ECDSA P-256 over the simple-signing payload, tag
    /// `sha256-<hex>.sig`) with a PEM private key; `--offline` signs in the store only.
    Sign(SignArgs),
    /// Verify a plugin's signatures against PEM public keys (cosign's format).
    Verify(VerifyArgs),
    /// Write plugins and their signatures into an OCI image layout tarball, for an air gap.
    Save(SaveArgs),
    /// Read a tarball from `plugin save` into the plugin store (every blob digest-checked).
    Load(LoadArgs),
    /// Write a new ECDSA P-256 key pair: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub.
    Keygen(KeygenArgs),
}

/// Options of every command that talks to a registry or the store.
#[derive(Args, Debug, Clone)]
pub struct Transport {
    /// Talk HTTP, not HTTPS, to the registry (a local or test registry).
    #[arg(long)]
    pub plain_http: bool,
    /// Time one registry request may take to answer (a blob ten times this).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub timeout: String,
    /// The plugin store [default: $HMS_SYS_STORE_DIR, else $XDG_DATA_HOME/hms-sys/store, else
    /// ~/.local/share/hms-sys/store].
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// The component (.wasm) to push.
    pub file: PathBuf,
    /// Where: `REGISTRY/REPOSITORY[:TAG]` (`oci://` optional), e.g. `ghcr.io/agency/trident:1.0`.
    pub reference: String,
    /// The `org.opencontainers.image.source` annotation (the plugin's source repository).
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// Directory of the compiled-plugin cache push loads the component through [default: as
    /// for render].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub transport: Transport,
}

#[derive(Args, Debug)]
pub struct PullArgs {
    /// `REGISTRY/REPOSITORY:TAG` or `REGISTRY/REPOSITORY@sha256:<hex>`.
    pub reference: String,
    #[command(flatten)]
    pub transport: Transport,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// The plugin, pinned `REGISTRY/REPOSITORY@sha256:<hex>` (a tag is resolved first).
    pub reference: String,
    /// The private key (PKCS#8 PEM).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Sign into the store only (the plugin must be there); `plugin save` carries the
    /// signature.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub transport: Transport,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The plugin, pinned `REGISTRY/REPOSITORY@sha256:<hex>` (a tag is resolved first).
    pub reference: String,
    /// A public key (PEM) that may have signed it; repeat for several.
    #[arg(long, value_name = "FILE", required = true)]
    pub key: Vec<PathBuf>,
    /// Verify what the store holds, without the network.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub transport: Transport,
}

#[derive(Args, Debug)]
pub struct SaveArgs {
    /// Plugins to save: `REGISTRY/REPOSITORY@sha256:<hex>` or `:TAG`; one not in the store is
    /// pulled first.
    #[arg(required = true)]
    pub references: Vec<String>,
    /// The tarball to write.
    #[arg(short, long, value_name = "FILE.tar")]
    pub output: PathBuf,
    #[command(flatten)]
    pub transport: Transport,
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// A tarball written by `plugin save`.
    pub tarball: PathBuf,
    /// The plugin store [default: as for `pull`].
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Writes PREFIX.key and PREFIX.pub (neither may exist).
    pub prefix: PathBuf,
}

/// The store a command uses: `--store DIR`, else the default place.
pub fn store(flag: Option<&Path>) -> Option<Store> {
    flag.map(Store::at).or_else(Store::from_env)
}

/// The problem a person reads for a supply-chain failure.
pub fn problem(e: &hms_oci::Error) -> Problem {
    let code = match e.kind {
        ErrorKind::Trust => "HMS-TRUST",
        ErrorKind::Registry => "HMS-REGISTRY",
        ErrorKind::Digest | ErrorKind::Missing => "HMS-STORE",
        ErrorKind::Input | ErrorKind::Io => "HMS-SUPPLY",
    };
    let p = Problem::error(code, e.message.clone());
    match &e.hint {
        Some(h) => p.hint(h.clone()),
        None => p,
    }
}

pub fn execute(
    command: OciCommand,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let result = match command {
        OciCommand::Push(a) => push(&a, out),
        OciCommand::Pull(a) => pull(&a, out),
        OciCommand::Sign(a) => sign(&a, out),
        OciCommand::Verify(a) => verify(&a, out),
        OciCommand::Save(a) => save(&a, out),
        OciCommand::Load(a) => load(&a, out),
        OciCommand::Keygen(a) => keygen(&a, out),
    };
    Ok(match result {
        Ok(()) => exit::OK,
        Err(p) => report(err, &p, style, exit::ERROR),
    })
}

type Outcome = Result<(), Vec<Problem>>;

fn fail(e: hms_oci::Error) -> Vec<Problem> {
    vec![problem(&e)]
}

fn usage(message: String, hint: &str) -> Vec<Problem> {
    vec![Problem::error("HMS-USAGE", message).hint(hint)]
}

fn parse_ref(s: &str) -> Result<(RegistryRef, Option<String>), Vec<Problem>> {
    RegistryRef::parse(s).map_err(|why| {
        usage(
            why,
            "write REGISTRY/REPOSITORY[:TAG] or REGISTRY/REPOSITORY@sha256:<hex>, e.g. `localhost:5000/agency/trident:1.0`",
        )
    })
}

fn open_store(flag: Option<&Path>) -> Result<Store, Vec<Problem>> {
    store(flag).ok_or_else(|| {
        vec![
            Problem::error("HMS-STORE", "there is no plugin store: HOME is not set")
                .hint("give --store DIR or set HMS_SYS_STORE_DIR"),
        ]
    })
}

fn registry(t: &Transport) -> Result<Registry, Vec<Problem>> {
    let timeout = crate::cli::parse_duration(&t.timeout)
        .filter(|d| *d > Duration::ZERO)
        .ok_or_else(|| {
            usage(
                format!("--timeout {:?}: not a duration", t.timeout),
                "write e.g. --timeout 30s or --timeout 500ms",
            )
        })?;
    Registry::new(Options {
        plain_http: t.plain_http,
        timeout,
        ..Options::default()
    })
    .map_err(fail)
}

fn pinned(r: &RegistryRef, digest: &str) -> String {
    format!("oci://{}@{digest}", r.repository_ref())
}

fn push(a: &PushArgs, out: &mut dyn Write) -> Outcome {
    let (r, pin) = parse_ref(&a.reference)?;
    if pin.is_some() {
        return Err(usage(
            format!("{}: a push names a tag, not a digest", a.reference),
            "write REGISTRY/REPOSITORY:TAG; the digest is the artifact's, printed when it is pushed",
        ));
    }
    let source =
        crate::plugins::source_from_file(&a.file, &Cache::disabled()).map_err(|p| vec![p])?;
    // The component's world, interfaces and metadata, for the config and annotations. Loading
    // checks it is a plugin this host accepts (the compiled-plugin cache makes it cheap).
    let cache = a.cache_dir.as_ref().map_or_else(Cache::from_env, Cache::at);
    let runtime = Runtime::new(cache, Limits::default().stack)
        .map_err(|e| vec![Problem::from_plugin_error(&e)])?;
    let plugin = runtime
        .load(&source, Limits::default())
        .map_err(|e| vec![Problem::from_plugin_error(&e)])?;
    let v = plugin.wit_version();
    let world = match plugin.world() {
        World::Section => "section-plugin",
        World::Baseline => "baseline-plugin",
    };
    let meta = plugin.metadata();
    let info = PluginInfo {
        component: Component {
            exports: plugin.exports(),
            imports: plugin.imports(),
            target: Some(format!("hms:sys/{world}@{v}")),
        },
        title: Some(meta.name.clone()),
        version: Some(meta.version.clone()),
        description: Some(meta.description.clone()).filter(|d| !d.is_empty()),
        source: a.source.clone(),
        created: now_rfc3339(),
    };
    let bytes = source.bytes().map_err(|e| {
        vec![Problem::error(
            "HMS-PLUGIN-FILE",
            format!("cannot read plugin: {e}"),
        )]
    })?;
    let artifact = wasm_artifact(bytes.to_vec(), &info);
    let store = open_store(a.transport.store.as_deref())?;
    let digest = registry(&a.transport)?
        .push(&store, &r, &artifact)
        .map_err(fail)?;
    let _ = writeln!(out, "{}", pinned(&r, &digest));
    Ok(())
}

fn pull(a: &PullArgs, out: &mut dyn Write) -> Outcome {
    let (r, pin) = parse_ref(&a.reference)?;
    let store = open_store(a.transport.store.as_deref())?;
    let pulled = registry(&a.transport)?
        .pull(&store, &r, pin.as_deref())
        .map_err(fail)?;
    tracing::info!(
        fetched = pulled.fetched,
        signatures = pulled.signatures,
        "pulled into {}",
        store.root().display()
    );
    let _ = writeln!(out, "{}", pinned(&r, &pulled.digest));
    if pulled.signatures == 0 {
        tracing::warn!(
            "{} has no signature in its registry",
            pinned(&r, &pulled.digest)
        );
    }
    Ok(())
}

/// The digest `r` names: its pin, else its tag resolved in the registry (or, offline, in the
/// store).
fn resolve(
    r: &RegistryRef,
    pin: Option<String>,
    store: &Store,
    reg: Option<&Registry>,
) -> Result<String, Vec<Problem>> {
    if let Some(d) = pin {
        return Ok(d);
    }
    let tag = r.tag.clone().unwrap_or_else(|| "latest".into());
    let found = match reg {
        Some(reg) => reg.manifest(r, &tag).map_err(fail)?.map(|(_, d)| d),
        None => store
            .resolve(&format!("{}:{tag}", r.repository_ref()))
            .map_err(fail)?,
    };
    let d = found.ok_or_else(|| {
        vec![
            Problem::error("HMS-STORE", format!("{r}: no manifest tagged `{tag}`")).hint(
                "pin the plugin by digest (REGISTRY/REPOSITORY@sha256:...), or pull it first",
            ),
        ]
    })?;
    tracing::warn!("{r} resolved to {d}: name plugins by digest, a tag can move");
    Ok(d)
}

fn sign(a: &SignArgs, out: &mut dyn Write) -> Outcome {
    let (r, pin) = parse_ref(&a.reference)?;
    let key = PrivateKey::from_file(&a.key).map_err(fail)?;
    let store = open_store(a.transport.store.as_deref())?;
    let reg = if a.offline {
        None
    } else {
        Some(registry(&a.transport)?)
    };
    let digest = resolve(&r, pin, &store, reg.as_ref())?;
    let body = payload(&r.repository_ref(), &digest);
    let signature = key.sign(&body).map_err(fail)?;
    let layer = signature_layer(&body, &signature);
    match &reg {
        Some(reg) => reg
            .push_signature(&store, &r, &digest, layer, &body)
            .map_err(fail)?,
        None => sign_in_store(&store, &r, &digest, layer, &body).map_err(fail)?,
    }
    let _ = writeln!(
        out,
        "signed {} with {}",
        pinned(&r, &digest),
        a.key.display()
    );
    Ok(())
}

/// Adds a signature to the store's signature manifest of `digest` (for `sign --offline`).
fn sign_in_store(
    store: &Store,
    r: &RegistryRef,
    digest: &str,
    layer: hms_oci::artifact::Descriptor,
    body: &[u8],
) -> hms_oci::Result<()> {
    if !store.has(digest) {
        return Err(hms_oci::Error::new(
            ErrorKind::Missing,
            format!(
                "{} is not in the plugin store {}",
                pinned(r, digest),
                store.root().display()
            ),
        )
        .hint("pull or load it first, or sign without --offline"));
    }
    let tag = hms_oci::artifact::signature_tag(digest);
    let name = format!("{}:{tag}", r.repository_ref());
    let mut layers = match store.resolve(&name)? {
        Some(d) => store.manifest(&d)?.0.layers,
        None => Vec::new(),
    };
    if !layers.contains(&layer) {
        layers.push(layer);
    }
    store.put_blob(&hms_oci::digest_of(body), body)?;
    let (manifest, config) = hms_oci::artifact::signature_manifest(layers);
    store.put_blob(&hms_oci::digest_of(&config), &config)?;
    store.put_manifest(&manifest.to_bytes(), Some(&name))?;
    Ok(())
}

fn verify(a: &VerifyArgs, out: &mut dyn Write) -> Outcome {
    let (r, pin) = parse_ref(&a.reference)?;
    let keys = a
        .key
        .iter()
        .map(|k| PublicKey::from_file(k))
        .collect::<hms_oci::Result<Vec<_>>>()
        .map_err(fail)?;
    let store = open_store(a.transport.store.as_deref())?;
    let reg = if a.offline {
        None
    } else {
        Some(registry(&a.transport)?)
    };
    let digest = resolve(&r, pin, &store, reg.as_ref())?;
    if let Some(reg) = &reg {
        reg.pull_signatures(&store, &r, &digest).map_err(fail)?;
    }
    match hms_oci::policy::verify_stored(&store, &digest, &keys) {
        Ok(k) => {
            let _ = writeln!(
                out,
                "verified {}: signed by {}",
                pinned(&r, &digest),
                k.name
            );
            Ok(())
        }
        Err(f) => Err(fail(hms_oci::policy::describe_failure(
            &format!("oci://{}", r.repository_ref()),
            &digest,
            &keys,
            &f,
        ))),
    }
}

fn save(a: &SaveArgs, out: &mut dyn Write) -> Outcome {
    let store = open_store(a.transport.store.as_deref())?;
    let mut reg = None;
    let mut entries = Vec::new();
    for s in &a.references {
        let (r, pin) = parse_ref(s)?;
        let name = match (&pin, &r.tag) {
            (Some(d), _) => format!("{}@{d}", r.repository_ref()),
            (None, Some(t)) => format!("{}:{t}", r.repository_ref()),
            (None, None) => format!("{}:latest", r.repository_ref()),
        };
        let index = store.index().map_err(fail)?;
        let found = index.refs().get(name.as_str()).map(|d| (*d).clone());
        let entry = match found {
            Some(d) => d,
            None => {
                if reg.is_none() {
                    reg = Some(registry(&a.transport)?);
                }
                let reg = reg.as_ref().expect("set above");
                let pulled = reg.pull(&store, &r, pin.as_deref()).map_err(fail)?;
                let index = store.index().map_err(fail)?;
                let key = format!("{}@{}", r.repository_ref(), pulled.digest);
                index
                    .refs()
                    .get(key.as_str())
                    .map(|d| (*d).clone())
                    .ok_or_else(|| {
                        fail(hms_oci::Error::new(
                            ErrorKind::Missing,
                            format!("{key} is not in the store after pulling it"),
                        ))
                    })?
            }
        };
        entries.push(entry);
    }
    let n = hms_oci::layout::save(&store, &entries, &a.output).map_err(fail)?;
    let _ = writeln!(
        out,
        "saved {} plugin(s) and {} signature manifest(s) to {}",
        entries.len(),
        n - entries.len(),
        a.output.display()
    );
    Ok(())
}

fn load(a: &LoadArgs, out: &mut dyn Write) -> Outcome {
    let store = open_store(a.store.as_deref())?;
    let added = hms_oci::layout::load(&store, &a.tarball).map_err(fail)?;
    for d in &added {
        if let Some(name) = d.annotations.get(hms_oci::store::REF_NAME)
            && !name.ends_with(".sig")
        {
            let _ = writeln!(out, "loaded {name} ({})", d.digest);
        }
    }
    Ok(())
}

fn keygen(a: &KeygenArgs, out: &mut dyn Write) -> Outcome {
    let with = |ext: &str| {
        let mut p = a.prefix.clone().into_os_string();
        p.push(ext);
        PathBuf::from(p)
    };
    let (private, public) = (with(".key"), with(".pub"));
    for p in [&private, &public] {
        if p.exists() {
            return Err(usage(
                format!("{} exists", p.display()),
                "choose another PREFIX, or move the old key away first",
            ));
        }
    }
    let (pem, key) = PrivateKey::generate().map_err(fail)?;
    let io = |p: &Path, e: std::io::Error| {
        vec![Problem::error(
            "HMS-SUPPLY",
            format!("cannot write {}: {e}", p.display()),
        )]
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(&private)
        .and_then(|mut f| f.write_all(pem.as_bytes()))
        .map_err(|e| io(&private, e))?;
    std::fs::write(&public, key.public().to_pem()).map_err(|e| io(&public, e))?;
    let _ = writeln!(
        out,
        "wrote {} (private, keep it secret) and {} (public, for trust policies and `cosign verify --key`)",
        private.display(),
        public.display()
    );
    Ok(())
}
