//! `rocketchat-contacts` on a real terminal: tmux runs it in a pane of a known size, and the
//! test reads the screen as a person would (`capture-pane`) and types keys (`send-keys`).
//! Pipes cannot show this: the progress line, what stays above it and what Ctrl-C does are
//! terminal behaviour. Needs `tmux` (`.ci/run` installs it when missing).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, Visitor};

const BIN: &str = env!("CARGO_BIN_EXE_rocketchat-contacts");

/// A tmux server of its own (so tests never see each other's panes) with one pane.
struct Pane {
    socket: String,
}

impl Pane {
    /// Runs `command` with `env` in a 150×40 pane; when it ends, the pane prints
    /// `EXIT=<code>` and stays, so its last screen can still be read.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "rc-terminal-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut line = String::from("env -u NO_COLOR");
        for (key, value) in env {
            line.push_str(&format!(" {key}='{value}'"));
        }
        line.push_str(&format!(" '{BIN}'"));
        for arg in args {
            line.push_str(&format!(" '{arg}'"));
        }
        line.push_str("; echo EXIT=$?; sleep 600");
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "150",
                "-y",
                "40",
            ])
            .arg(line)
            .status()
            .expect("tmux runs (install it: apt-get install tmux)");
        assert!(status.success());
        Self { socket }
    }

    /// What the pane shows now, with the lines that scrolled off.
    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-J", "-S", "-200"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits (up to `limit`) until `seen` holds for the screen, and returns that screen.
    async fn wait_for(&self, limit: Duration, seen: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if seen(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < limit,
                "not seen within {limit:?}; the screen:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn send_keys(&self, keys: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", keys])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// A demo fake with `conflicted` more contacts to resolve among `clean` ones, rate-limited to
/// Rocket.Chat's default shape (10 calls per route per window) with the window scaled down.
async fn workspace(conflicted: usize, clean: usize, window: Duration) -> FakeRocketChat {
    let fake = FakeRocketChat::builder()
        .demo_data()
        .rate_limit(10, window)
        .start()
        .await
        .unwrap();
    for i in 0..conflicted {
        let id = fake.add_contact_named(&format!("Person {i:04}"));
        fake.merge_visitor(&id, Visitor::new().name(&format!("P. {i:04}")));
    }
    for i in 0..clean {
        fake.add_contact_named(&format!("Quiet {i:04}"));
    }
    fake
}

fn env(fake: &FakeRocketChat) -> Vec<(&'static str, String)> {
    vec![
        ("ROCKETCHAT_URL", fake.uri()),
        ("ROCKETCHAT_USER_ID", DemoData::AGENT_ID.to_owned()),
        ("ROCKETCHAT_AUTH_TOKEN", DemoData::AGENT_TOKEN.to_owned()),
    ]
}

fn start(fake: &FakeRocketChat, args: &[&str]) -> Pane {
    let env = env(fake);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Pane::start(args, &env)
}

/// The `EXIT=` code the pane printed, once the program has ended.
async fn exit_code(pane: &Pane) -> (i32, String) {
    let screen = pane
        .wait_for(Duration::from_secs(60), |s| s.contains("EXIT="))
        .await;
    let code = screen
        .lines()
        .find_map(|line| line.trim().strip_prefix("EXIT="))
        .and_then(|code| code.parse().ok())
        .unwrap_or(-1);
    (code, screen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_shows_done_of_total_rate_and_eta_with_lines_above() {
    // 3 demo contacts + 40 conflicted + 160 without conflicts = 203 listed; 43 resolves at
    // 10 per second take a few seconds, long enough to read the progress line.
    let fake = workspace(40, 160, Duration::from_secs(1)).await;
    let pane = start(
        &fake,
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--concurrency",
            "2",
        ],
    );
    let during = pane
        .wait_for(Duration::from_secs(30), |s| {
            s.contains("/204 contacts, ") && s.contains(" ETA ") && s.contains("resolved ")
        })
        .await;
    assert!(during.contains("/s, ETA"), "a measured rate: {during}");
    let (code, after) = exit_code(&pane).await;
    assert_eq!(code, 0, "{after}");
    // The per-contact lines stayed on the screen above where the bar was, and the bar is gone.
    assert!(after.contains(": set name=P. 0000"), "{after}");
    assert!(
        !after.contains("/204 contacts"),
        "the bar is cleared at the end:\n{after}"
    );
    assert!(after.contains("43 resolved"), "{after}");
    assert_eq!(fake.conflicted_contacts().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_run_and_says_so_without_made_up_figures() {
    let fake = workspace(200, 0, Duration::from_millis(500)).await;
    let pane = start(
        &fake,
        &["conflicts", "resolve", "--policy", "take-incoming"],
    );
    pane.wait_for(Duration::from_secs(30), |s| s.contains("resolved "))
        .await;
    pane.send_keys("C-c");
    let (code, screen) = exit_code(&pane).await;
    assert!(screen.contains("stopped by signal"), "{screen}");
    assert!(
        !screen.contains("deadline"),
        "no deadline was set:\n{screen}"
    );
    // Contacts never sent are not counted as left conflicted: that was not measured.
    assert!(screen.contains("left conflicted: unknown"), "{screen}");
    assert_ne!(code, 0, "a stopped run did not finish the job:\n{screen}");
    assert!(!fake.conflicted_contacts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_shows_each_pass_and_its_progress_and_exits_zero_on_ctrl_c() {
    let fake = workspace(30, 100, Duration::from_millis(250)).await;
    let pane = start(
        &fake,
        &[
            "conflicts",
            "watch",
            "--policy",
            "take-incoming",
            "--interval",
            "3s",
        ],
    );
    let during = pane
        .wait_for(Duration::from_secs(30), |s| s.contains("/134 contacts, "))
        .await;
    assert!(during.contains("(pass 1)"), "{during}");
    // Between passes the line counts down to the next one.
    pane.wait_for(Duration::from_secs(30), |s| {
        s.contains("next pass in 3s") || s.contains("next pass in 2s")
    })
    .await;
    pane.wait_for(Duration::from_secs(30), |s| s.contains("next pass in 1s"))
        .await;
    pane.wait_for(Duration::from_secs(30), |s| {
        s.contains("pass 2: no conflicts")
    })
    .await;
    pane.send_keys("C-c");
    let (code, screen) = exit_code(&pane).await;
    assert!(screen.contains("pass 1: "), "{screen}");
    assert!(screen.contains("(stopped by signal)"), "{screen}");
    assert_eq!(code, 0, "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_lets_a_person_choose_field_by_field_and_journals_it() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let journal = std::env::temp_dir().join(format!("review-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&journal);
    let pane = start(
        &fake,
        &[
            "conflicts",
            "review",
            "--journal",
            journal.to_str().unwrap(),
        ],
    );
    // Ana first (contacts come in id order): her name, current first, then the visitor's.
    let screen = pane
        .wait_for(Duration::from_secs(30), |s| s.contains("choose 1-2"))
        .await;
    assert!(screen.contains("demoContactAna01 (Ana Lima)"), "{screen}");
    assert!(screen.contains("[1] Ana Lima  (current)"), "{screen}");
    assert!(screen.contains("[2] Ana Paula Lima"), "{screen}");
    pane.send_keys("2");
    pane.send_keys("Enter");
    let screen = pane
        .wait_for(Duration::from_secs(30), |s| {
            s.contains("resolve this contact?")
        })
        .await;
    assert!(
        screen.contains("name: Ana Lima → Ana Paula Lima"),
        "{screen}"
    );
    pane.send_keys("Enter");
    // Jane next: skip her; then John: quit.
    pane.wait_for(Duration::from_secs(30), |s| s.contains("demoContactJane1"))
        .await;
    pane.send_keys("s");
    pane.send_keys("Enter");
    pane.wait_for(Duration::from_secs(30), |s| s.contains("demoContactJohn1"))
        .await;
    pane.send_keys("q");
    pane.send_keys("Enter");
    let (code, screen) = exit_code(&pane).await;
    assert_eq!(code, 0, "{screen}");
    // Jane skipped, John quit at: all counted.
    assert!(
        screen.contains("review: 1 contact(s) resolved, 1 skipped, 1 not reached (quit)"),
        "{screen}"
    );
    let ana = fake.contact(&DemoData::THIRD_CONTACT_ID.into()).unwrap();
    assert_eq!(ana.name.as_deref(), Some("Ana Paula Lima"));
    assert!(!ana.has_conflicts());
    assert!(
        fake.contact(&DemoData::CONTACT_ID.into())
            .unwrap()
            .has_conflicts()
    );
    assert!(
        fake.contact(&DemoData::SECOND_CONTACT_ID.into())
            .unwrap()
            .has_conflicts()
    );
    let lines = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(
        lines.matches(r#""outcome":"resolved""#).count(),
        1,
        "{lines}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_refuses_without_a_terminal() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let env = env(&fake);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["conflicts", "review"])
            .envs(env)
            .stdin(std::process::Stdio::piped())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(err.contains("needs a person at a terminal"), "{err}");
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.path.ends_with("contacts.conflicts"))
    );
}
