//! The one integration test binary of hms-sys: every test lives in a module here.

mod support;

mod apply;
mod apply_dir;
mod bench_apply;
mod bench_plugin_load;
mod cache;
mod capabilities;
mod check;
mod completions;
mod controller;
mod examples;
mod explain;
mod hostile;
mod init;
mod kube;
mod kube_server;
mod kubeconfig;
mod live;
mod plugin_new;
mod plugin_tools;
mod psa;
mod quiet;
mod registry;
mod render;
mod schemas;
mod section_errors;
mod serve;
mod spec_errors;
mod spec_schema;
mod text;
