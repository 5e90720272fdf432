//! The server itself: the listener on 127.0.0.1, one thread per connection, the request log,
//! latency and faults, and the routing of discovery and resource paths.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::discovery::{self, ResourceType};
use super::faults::{Faults, Logged};
use super::http::{self, Body, Request, Response};
use super::rest;
use super::store::{Key, Store};

/// How a [`TestServer`] behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Run the simulated controllers (Deployment, PVC, MachineDeployment, NodePool).
    pub controllers: bool,
    /// How long a controller waits after a change before acting on it.
    pub controller_delay: Duration,
    /// How long a new Node stays NotReady.
    pub node_ready_delay: Duration,
    /// Added to every request (benchmarks); can be changed later with `set_latency`.
    pub latency: Duration,
    /// Where the CRDs to install are (`*.yaml`); default `shared/testdata/crds`.
    pub crd_dir: PathBuf,
    /// How long a CRD written at run time stays `Established=False` (`Installing`) before it is
    /// established and its kind served; zero (the default): established as it is stored.
    pub crd_establish_delay: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            controllers: true,
            controller_delay: Duration::from_millis(50),
            node_ready_delay: Duration::from_millis(50),
            latency: Duration::ZERO,
            crd_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/crds"),
            crd_establish_delay: Duration::ZERO,
        }
    }
}

/// State shared by the connection threads and the controllers.
pub struct Shared {
    pub store: Store,
    /// The served kinds: the builtins, the CRDs from files, and CRDs established at run time
    /// (`crds.rs`). Read it through [`Shared::types`] and [`Shared::resource`] (copies), never
    /// while holding the store's lock: a CRD write updates it from inside the store.
    types: Arc<RwLock<Vec<ResourceType>>>,
    /// CRDs written at run time, established at the given instant (`crds.rs`).
    pub establishing: Mutex<Vec<(Instant, Key)>>,
    pub faults: Faults,
    pub log: Mutex<Vec<Logged>>,
    pub latency_us: AtomicU64,
    pub shutdown: AtomicBool,
    pub addr: SocketAddr,
    pub config: ServerConfig,
    pub tls: super::tls::Tls,
}

impl Shared {
    pub fn resource(&self, group: &str, version: &str, plural: &str) -> Option<ResourceType> {
        self.types
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|t| {
                t.group == group && t.plural == plural && t.versions.iter().any(|v| v == version)
            })
            .cloned()
    }

    /// Every served kind, as of now.
    pub fn types(&self) -> Vec<ResourceType> {
        self.types.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// An in-process Kubernetes API server on `127.0.0.1:<random port>`, plain HTTP. Stops when dropped.
pub struct TestServer {
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
    controllers: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with the default configuration (controllers on, 50 ms delays).
    pub fn start() -> TestServer {
        TestServer::start_with(ServerConfig::default())
    }

    pub fn start_with(config: ServerConfig) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let mut types = discovery::builtins();
        let crds = discovery::load_crds(&config.crd_dir);
        types.extend(crds.iter().map(|(t, _)| t.clone()));
        let types = Arc::new(RwLock::new(types));
        let shared = Arc::new(Shared {
            store: Store::default(),
            types: types.clone(),
            establishing: Mutex::new(Vec::new()),
            faults: Faults::default(),
            log: Mutex::new(Vec::new()),
            latency_us: AtomicU64::new(config.latency.as_micros() as u64),
            shutdown: AtomicBool::new(false),
            addr,
            config,
            tls: super::tls::Tls::generate(),
        });
        {
            let mut store = shared.store.lock();
            for (_, crd) in crds {
                let name = crd["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let key = Key::new(
                    "apiextensions.k8s.io",
                    "customresourcedefinitions",
                    "",
                    &name,
                );
                store.put(&key, crd);
            }
            for ns in ["default", "kube-system", "kube-public"] {
                let key = Key::new("", "namespaces", "", ns);
                store.put(
                    &key,
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                );
            }
            let now = store.resource_version();
            store.subscribe(Some(now), super::crds::track(types));
        }
        let controllers = shared
            .config
            .controllers
            .then(|| super::controllers::spawn(shared.clone()));
        let s = shared.clone();
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.shutdown.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve_connection(s, conn));
            }
        });
        TestServer {
            shared,
            accept: Some(accept),
            controllers,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `https://127.0.0.1:PORT` (the same port also answers plain HTTP, for the raw-wire tests).
    pub fn url(&self) -> String {
        format!("https://{}", self.shared.addr)
    }

    /// The cluster CA (PEM) that signed the serving certificate.
    pub fn ca_pem(&self) -> &str {
        &self.shared.tls.ca_pem
    }

    /// A kubeconfig for plain `http://127.0.0.1:PORT`, without TLS.
    pub fn kubeconfig_plain(&self, dir: &Path) -> PathBuf {
        super::kubeconfig::write(dir, &format!("http://{}", self.shared.addr), None)
    }

    /// The fault queue: `server.faults().push(Fault::Status(500))`.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Latency added to every request from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.shared
            .latency_us
            .store(latency.as_micros() as u64, Ordering::SeqCst);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Writes a kubeconfig for this server into `dir` (see `kubeconfig.rs`).
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        super::kubeconfig::write(dir, &self.url(), Some(self.ca_pem()))
    }

    /// The stored object, straight from the store (`group` "" for core kinds, `namespace` "" for
    /// cluster-scoped ones).
    pub fn get(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        self.shared
            .store
            .lock()
            .get(&Key::new(group, plural, namespace, name))
            .cloned()
    }

    /// Every stored object of a resource, in one namespace or all.
    pub fn list(&self, group: &str, plural: &str, namespace: Option<&str>) -> Vec<Value> {
        self.shared.store.lock().list(group, plural, namespace)
    }

    /// Stores an object directly (no managedFields), e.g. to seed a foreign object.
    pub fn insert(&self, group: &str, plural: &str, obj: Value) -> Value {
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.shared
            .store
            .lock()
            .put(&Key::new(group, plural, &ns, &name), obj)
    }

    pub fn resource_version(&self) -> u64 {
        self.shared.store.lock().resource_version()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.shared.store.lock().close();
        let _ = TcpStream::connect(self.shared.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        if let Some(h) = self.controllers.take() {
            let _ = h.join();
        }
    }
}

/// Serves one connection: TLS when the client starts a TLS handshake (what the kubeconfig
/// says, as on a real cluster), plain HTTP otherwise (the raw-wire test helpers).
fn serve_connection(shared: Arc<Shared>, conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    let mut first = [0u8; 1];
    // 0x16: a TLS handshake record.
    if matches!(conn.peek(&mut first), Ok(1)) && first[0] == 0x16 {
        let Ok(tls) = rustls::ServerConnection::new(shared.tls.config.clone()) else {
            return;
        };
        let stream = rustls::StreamOwned::new(tls, conn);
        serve_stream(&shared, BufReader::new(stream), |s| {
            let _ = s.sock.shutdown(std::net::Shutdown::Both);
        });
    } else {
        serve_stream(&shared, BufReader::new(conn), |s| {
            let _ = s.shutdown(std::net::Shutdown::Both);
        });
    }
}

fn serve_stream<S: Read + Write>(
    shared: &Shared,
    mut reader: BufReader<S>,
    close: impl Fn(&mut S),
) {
    loop {
        if shared.shutdown.load(Ordering::SeqCst) {
            return;
        }
        let req = match http::read_request(&mut reader) {
            Ok(Some(req)) => req,
            Ok(None) => return,
            Err(_) => {
                let resp =
                    Response::json(400, &status(400, "BadRequest", "malformed HTTP request"));
                let _ = http::write_response(reader.get_mut(), resp, false);
                return;
            }
        };
        let keep_alive = !req
            .header("Connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let at = std::time::Instant::now();
        let resp = handle(shared, &req);
        let code = if matches!(resp.body, Body::Drop) {
            0
        } else {
            resp.status
        };
        shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Logged {
                method: req.method.clone(),
                path: req.path.clone(),
                query: req.raw_query.clone(),
                field_manager: req.param("fieldManager").map(String::from),
                content_type: req.header("Content-Type").map(String::from),
                user_agent: req.header("User-Agent").map(String::from),
                status: code,
                at,
            });
        match http::write_response(reader.get_mut(), resp, keep_alive) {
            Ok(true) => {}
            _ => {
                close(reader.get_mut());
                return;
            }
        }
    }
}

/// A metav1.Status.
pub fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": if code < 300 { "Success" } else { "Failure" },
        "message": message,
        "reason": reason,
        "code": code,
    })
}

fn handle(shared: &Shared, req: &Request) -> Response {
    let latency = shared.latency_us.load(Ordering::SeqCst);
    if latency > 0 {
        std::thread::sleep(Duration::from_micros(latency));
    }
    super::crds::establish_due(shared);
    if let Some(fault) = shared.faults.take(&req.method, &req.path) {
        if fault == super::faults::Fault::Hang {
            return shared.faults.hold(&shared.shutdown);
        }
        if let Some(resp) = super::faults::respond(fault) {
            return resp;
        }
    }
    route(shared, req)
}

fn route(shared: &Shared, req: &Request) -> Response {
    let segs: Vec<&str> = req
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    // A copy of the served kinds, for the discovery documents only.
    let types = || shared.types();
    let not_found = || {
        Response::json(
            404,
            &status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        )
    };
    let get = req.method == "GET";
    let (group, version, rest) = match segs.as_slice() {
        ["version"] if get => return Response::json(200, &discovery::version()),
        ["healthz" | "readyz" | "livez"] => {
            return Response {
                status: 200,
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: Body::Full(b"ok".to_vec()),
            };
        }
        ["api"] if get => {
            return Response::json(200, &discovery::core_versions(&shared.addr.to_string()));
        }
        ["apis"] if get => return Response::json(200, &discovery::group_list(&types())),
        ["apis", g] if get => {
            return discovery::group(&types(), g)
                .map_or_else(not_found, |v| Response::json(200, &v));
        }
        ["openapi", "v3"] if get => return Response::json(200, &discovery::openapi_root(&types())),
        ["openapi", "v3", "api", v] if get => {
            return discovery::openapi_group_version(&types(), "", v)
                .map_or_else(not_found, |d| Response::json(200, &d));
        }
        ["openapi", "v3", "apis", g, v] if get => {
            return discovery::openapi_group_version(&types(), g, v)
                .map_or_else(not_found, |d| Response::json(200, &d));
        }
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return not_found(),
    };
    if rest.is_empty() {
        if !get {
            return Response::json(405, &status(405, "MethodNotAllowed", "method not allowed"));
        }
        return discovery::resource_list(&types(), group, version)
            .map_or_else(not_found, |v| Response::json(200, &v));
    }
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, more @ ..]
            if shared
                .resource(group, version, plural)
                .is_some_and(|t| t.namespaced) =>
        {
            (Some(*ns), {
                let mut r = vec![*plural];
                r.extend_from_slice(more);
                r
            })
        }
        other => (None, other.to_vec()),
    };
    let Some(rt) = shared.resource(group, version, rest[0]) else {
        return not_found();
    };
    let target = rest::Target {
        rt: &rt,
        version,
        namespace,
        name: rest.get(1).copied(),
        subresource: rest.get(2).copied(),
    };
    rest::serve(shared, req, &target)
}
