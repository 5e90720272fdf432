//! Live progress in a real terminal: `apply --wait` and `status --watch` run in a tmux pane
//! against the Kubernetes API test server, and the test reads what a person sees there
//! (`tmux capture-pane`). At a terminal the status lines are redrawn in place (each shows once,
//! ready), and `apply`'s step line is gone when it ends; through a pipe the same commands print
//! plain lines, each change again. Skipped, with a note, where tmux is not installed.

use std::process::Command;
use std::time::Duration;

use crate::kube::{Cluster, ServerConfig};
use crate::support;

/// The status line labels `status` prints, one line each.
const LABELS: &[&str] = &["Node pool", "Volume", "Network policy", "Workload"];

/// A tmux server of this test's own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None`, with a note, when tmux is not installed.
    fn start(test: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("note: skipped {test}: tmux is not installed (apt-get install tmux)");
            return None;
        }
        Some(Tmux {
            socket: format!("hms-live-{}-{test}", std::process::id()),
        })
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Runs `hms-sys ARGS` (this test binary as `main`, [`support::hms_child`]) in a new
    /// 120x50 pane; the pane stays open after it exits, showing `[exit CODE]`.
    fn run(&self, args: &[String]) {
        let exe = std::env::current_exe().expect("the test binary's path");
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let json = serde_json::to_string(args).expect("args as JSON");
        let command = format!(
            "HMS_TEST_CHILD_ARGS={} TERM=xterm-256color {} --exact support::hms_child --ignored \
             --nocapture --test-threads=1 --color never 2>&1; echo \"[exit $?]\"; sleep 600",
            quote(&json),
            quote(exe.to_str().expect("utf-8 path")),
        );
        let out = self.tmux(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "50",
            "sh",
            "-c",
            &command,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
    }

    /// What the pane shows.
    fn pane(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane once the command has exited. Polls a bounded number of times so a hang fails
    /// the test instead of blocking it; nothing here measures how long the command took.
    fn wait_exit(&self) -> String {
        for _ in 0..900 {
            let pane = self.pane();
            if pane.contains("[exit ") {
                return pane;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("the command never exited; the pane shows:\n{}", self.pane());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// A test server whose simulated controllers take a while, so the first status lines a
/// command sees are still in progress.
fn slow_cluster() -> Cluster {
    Cluster::start_with(ServerConfig {
        controller_delay: Duration::from_millis(1500),
        node_ready_delay: Duration::from_millis(1500),
        ..ServerConfig::default()
    })
}

fn args(cluster: &Cluster, list: &[&str]) -> Vec<String> {
    let mut argv: Vec<String> = list.iter().map(|a| a.to_string()).collect();
    argv.push("--kubeconfig".into());
    argv.push(cluster.kubeconfig().display().to_string());
    if list.first() == Some(&"apply") {
        argv.push("--cache-dir".into());
        argv.push(support::cache_dir().display().to_string());
    }
    argv
}

fn example() -> String {
    support::example().display().to_string()
}

/// The pane's lines that show status line `label` (after its mark: ✔, …, ✗ or a spinner frame).
fn status_lines<'p>(pane: &'p str, label: &str) -> Vec<&'p str> {
    pane.lines()
        .filter(|l| {
            let mut rest = l.trim_start().chars();
            rest.next();
            rest.as_str()
                .strip_prefix(' ')
                .is_some_and(|r| r.starts_with(label))
        })
        .collect()
}

#[test]
fn apply_wait_at_a_terminal_redraws_the_status_in_place() {
    let Some(tmux) = Tmux::start("apply-wait") else {
        return;
    };
    let cluster = slow_cluster();
    tmux.run(&args(&cluster, &["apply", &example(), "--wait"]));
    let pane = tmux.wait_exit();
    assert!(pane.contains("[exit 0]"), "{pane}");
    // Each object's line, then the summary; the live step line is gone.
    assert!(
        pane.contains("✔ Deployment.apps dcaa-secure/dcaa-audit created"),
        "{pane}"
    );
    assert!(pane.contains("dcaa-secure: "), "{pane}");
    assert!(pane.contains(" created, 0 configured"), "{pane}");
    assert!(!pane.contains("step "), "the step line is gone: {pane}");
    assert!(
        !pane.contains("watching dcaa-secure"),
        "the footer is gone: {pane}"
    );
    // Every status line once, ready: redrawn where it was, not printed again.
    for label in LABELS {
        let lines = status_lines(&pane, label);
        assert_eq!(lines.len(), 1, "{label} once: {lines:?}\n{pane}");
        assert!(
            lines[0].trim_start().starts_with('✔'),
            "{label} ready: {pane}"
        );
    }
}

#[test]
fn status_watch_at_a_terminal_redraws_in_place_and_a_pipe_gets_plain_lines() {
    let Some(tmux) = Tmux::start("status-watch") else {
        return;
    };
    let cluster = slow_cluster();
    let applied = support::hms(
        &args(&cluster, &["apply", &example()])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(applied.code, 0, "{applied:?}");
    tmux.run(&args(
        &cluster,
        &["status", "dcaa-secure", "--watch", "--timeout", "2m"],
    ));
    let pane = tmux.wait_exit();
    assert!(pane.contains("[exit 0]"), "{pane}");
    for label in LABELS {
        let lines = status_lines(&pane, label);
        assert_eq!(lines.len(), 1, "{label} once: {lines:?}\n{pane}");
        assert!(
            lines[0].trim_start().starts_with('✔'),
            "{label} ready: {pane}"
        );
    }
    assert!(
        !pane.contains("watching dcaa-secure"),
        "the footer is gone: {pane}"
    );
    // Through a pipe: the plain lines, no escape codes, the lines again at each change.
    let cluster = slow_cluster();
    let applied = support::hms(
        &args(&cluster, &["apply", &example()])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(applied.code, 0, "{applied:?}");
    let child = support::spawn_hms(&args(&cluster, &["status", "dcaa-secure", "--watch"]));
    let run = support::wait_child(child, Duration::from_secs(120));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains('\u{1b}'), "{run:?}");
    assert_eq!(
        run.stdout.matches("✔ Node pool created").count(),
        1,
        "{run:?}"
    );
    if run.stdout.contains("… ") {
        // It saw an earlier state: the lines were printed again when they changed.
        assert!(
            run.stdout.matches("Network policy enforced").count() >= 2,
            "{run:?}"
        );
    }
    assert!(!run.stdout.contains("watching"), "{run:?}");
}
