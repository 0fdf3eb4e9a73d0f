//! The interactive loop: terminal guard, input, source events, the clock, rendering.
//!
//! One `select!` over terminal input, the queue of source events (everything queued is applied
//! at once, then the screen is redrawn once), a 1 s tick (countdowns, eviction, events/s) and
//! signals. A frame is drawn only when something changed, at most ~15 times a second, so an idle
//! turntop costs nothing but its 1 Hz countdown.

use std::collections::VecDeque;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind};
use crossterm::execute;
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::{Action, App};
use crate::clock::Clock;
use crate::logging::BadMessageLog;
use crate::model::{Model, Time};
use crate::source::SourceEvent;
use crate::source::replay::Control;
use crate::ui::{self, HeaderInfo, HitMap, SourceInfo, Theme};

const FRAME_GAP: Duration = Duration::from_millis(66);
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// Everything the loop needs besides the terminal.
pub struct Session {
    pub app: App,
    pub model: Model,
    pub events: UnboundedReceiver<SourceEvent>,
    pub clock: Clock,
    pub source: SourceInfo,
    pub theme: Theme,
    /// Pause/step requests to the replay task (replays only).
    pub control: Option<tokio::sync::watch::Sender<Control>>,
    /// Where the model's reconciliation requests go (live sources only).
    pub reconcilers: crate::source::Reconcilers,
    /// coturn's CLI of each endpoint, in the model's endpoint order (`None`: none).
    pub cli: Vec<Option<crate::coturn_cli::CliEndpoint>>,
    /// Scrapes of the metrics server (`--metrics`), answered from the live model.
    pub scrapes: Option<crate::metrics::ScrapeRequests>,
}

struct EventRate {
    samples: VecDeque<(Instant, u64)>,
}

impl EventRate {
    fn sample(&mut self, events: u64) -> f64 {
        let now = Instant::now();
        self.samples.push_back((now, events));
        while self.samples.len() > 2
            && self
                .samples
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.samples.pop_front();
        }
        match (self.samples.front(), self.samples.back()) {
            (Some((t0, e0)), Some((t1, e1))) if t1 > t0 => {
                (e1 - e0) as f64 / t1.duration_since(*t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }
}

/// Refuse to draw a TUI into a pipe: say what to do instead.
pub fn check_terminal() -> Result<(), String> {
    if !io::stdout().is_terminal() {
        return Err("stdout is not a terminal: use --once (with --format table, json or csv) for output to a pipe or file".into());
    }
    Ok(())
}

fn enter(mouse: bool) -> io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    if mouse {
        execute!(io::stdout(), EnableMouseCapture)?;
    }
    Ok(terminal)
}

fn leave(mouse: bool) {
    if mouse {
        let _ = execute!(io::stdout(), DisableMouseCapture);
    }
    ratatui::restore();
}

/// Run until the user quits (or SIGTERM/SIGHUP). The terminal is restored on every way out,
/// including a panic (ratatui's hook).
pub async fn run(mut s: Session) -> io::Result<()> {
    let mouse = s.app.mouse;
    let mut terminal = enter(mouse)?;
    let mut bad = BadMessageLog::default();
    let result = event_loop(&mut terminal, &mut s, &mut bad).await;
    leave(mouse);
    bad.finish(&s.model, crate::clock::now());
    result
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    s: &mut Session,
    bad: &mut BadMessageLog,
) -> io::Result<()> {
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut batch: Vec<SourceEvent> = Vec::with_capacity(4096);
    let mut source_open = true;
    let mut frozen: Option<(Model, Time)> = None;
    let mut rate = EventRate {
        samples: VecDeque::new(),
    };
    let mut events_per_sec = 0.0;
    let mut endpoint_rates: Vec<EventRate> = Vec::new();
    let mut endpoint_events_per_sec: Vec<f64> = Vec::new();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME_GAP;
    let mut hit = HitMap::default();
    let mut frames = FrameLog::from_env();
    // Whether anything but the clock moved since the last full pass over the allocations, and
    // when that was: a frame with nothing new keeps the pass's order for up to `RESORT`.
    let mut changed = true;
    let mut sorted_at = Instant::now();
    let mut cli = crate::coturn_cli::link::CliLink::start(&s.cli, &mut s.app.cli);
    let mut cli_open = true;
    loop {
        if dirty && last_draw.elapsed() >= FRAME_GAP {
            s.app.reuse_order = !changed && sorted_at.elapsed() < RESORT;
            if !s.app.reuse_order {
                sorted_at = Instant::now();
            }
            changed = false;
            let now = s.clock.now(&s.model);
            let info = HeaderInfo {
                source: s.source.clone(),
                events_per_sec,
                endpoint_events_per_sec: endpoint_events_per_sec.clone(),
            };
            let (model, now) = match &frozen {
                Some((m, t)) => (m, *t),
                None => (&s.model, now),
            };
            terminal.draw(|f| hit = ui::draw(f, &mut s.app, model, now, &info, &s.theme))?;
            cli.want(crate::app::user_on_screen(&s.app, model));
            frames.count();
            dirty = false;
            last_draw = Instant::now();
        }
        let redraw_at = tokio::time::Instant::from_std(last_draw + FRAME_GAP);
        tokio::select! {
            ev = input.next() => {
                let Some(ev) = ev else { return Ok(()) };
                match ev? {
                    Event::Key(key) if key.kind != KeyEventKind::Release => {
                        changed = true;
                        match s.app.on_key(key) {
                            Action::Quit => return Ok(()),
                            Action::Freeze(true) => {
                                let now = s.clock.now(&s.model);
                                frozen = Some((s.model.clone(), now));
                            }
                            Action::Freeze(false) => frozen = None,
                            Action::Suspend => {
                                suspend(terminal, s.app.mouse)?;
                            }
                            Action::Pause(paused) => set_paused(s, paused),
                            Action::Step => {
                                set_paused(s, true);
                                if let Some(c) = &s.control {
                                    c.send_modify(|c| c.steps += 1);
                                }
                            }
                            Action::Cancel { endpoint, id } => {
                                if cli.cancel(endpoint, id) {
                                    s.app.cli.message = Some(format!("cs {id} sent to coturn's CLI"));
                                }
                            }
                            Action::None => {}
                        }
                        dirty = true;
                    }
                    Event::Mouse(m) if s.app.mouse => {
                        s.app.on_mouse(m, hit.header_row, hit.first_row, &hit.columns);
                        (dirty, changed) = (true, true);
                    }
                    Event::Resize(..) | Event::FocusGained => (dirty, changed) = (true, true),
                    _ => {}
                }
            }
            n = s.events.recv_many(&mut batch, 65_536), if source_open => {
                if n == 0 {
                    source_open = false;
                    if let SourceInfo::Replay { finished, .. } = &mut s.source {
                        *finished = true;
                    }
                }
                changed = true;
                crate::source::apply_events(&batch, &mut s.model);
                s.reconcilers.forward(&mut s.model);
                batch.clear();
                bad.observe(&s.model, crate::clock::now());
                if frozen.is_none() {
                    dirty = true;
                }
            }
            ev = cli.events.recv(), if cli_open => {
                match ev {
                    Some((endpoint, ev)) => {
                        let now = s.clock.now(&s.model);
                        crate::coturn_cli::link::CliLink::apply(&mut s.app.cli, &s.model, endpoint, ev, now);
                        dirty = true;
                    }
                    None => cli_open = false,
                }
            }
            _ = tick.tick() => {
                let now = s.clock.now(&s.model);
                crate::coturn_cli::link::feed_counts(&s.app.cli, &mut s.model, now);
                s.model.tick(now);
                if s.app.bell_due(&mut s.model) {
                    // BEL: the terminal rings (or flashes), once per new critical problem.
                    let mut out = io::stdout();
                    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                }
                bad.observe(&s.model, crate::clock::now());
                events_per_sec = rate.sample(s.model.counters.events);
                endpoint_rates.resize_with(s.model.endpoints().len(), || EventRate { samples: VecDeque::new() });
                endpoint_events_per_sec = s
                    .model
                    .endpoints()
                    .iter()
                    .zip(endpoint_rates.iter_mut())
                    .map(|(ep, r)| r.sample(ep.events))
                    .collect();
                if frozen.is_none() {
                    dirty = true;
                }
            }
            Some(request) = next_scrape(&mut s.scrapes) => {
                // The live model, even when the screen is frozen.
                let now = s.clock.now(&s.model);
                crate::driver::answer(&s.model, now, request);
            }
            _ = tokio::time::sleep_until(redraw_at), if dirty => {}
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
        }
    }
}

/// How long a frame with nothing new may keep the last full pass's order and totals (the
/// rows on screen are rebuilt every frame): time alone moves a row (a rate decaying, a lifetime
/// running out) only slowly, and an idle server then costs one pass every few seconds.
const RESORT: Duration = Duration::from_secs(5);
/// The next scrape, or never without a metrics server.
async fn next_scrape(
    scrapes: &mut Option<crate::metrics::ScrapeRequests>,
) -> Option<crate::metrics::ScrapeRequest> {
    match scrapes {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// `TURNTOP_FRAME_LOG=FILE`: one line per frame drawn (seconds since start), for measuring
/// redraws (the idle benchmark) without touching the screen.
struct FrameLog {
    file: Option<std::fs::File>,
    start: Instant,
}

impl FrameLog {
    fn from_env() -> FrameLog {
        let file = std::env::var_os("TURNTOP_FRAME_LOG").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        FrameLog {
            file,
            start: Instant::now(),
        }
    }

    fn count(&mut self) {
        use std::io::Write;
        if let Some(file) = self.file.as_mut() {
            let _ = writeln!(file, "{:.3}", self.start.elapsed().as_secs_f64());
        }
    }
}

/// Pause or resume a replay: its task, its clock and the header badge.
fn set_paused(s: &mut Session, paused: bool) {
    s.app.paused = paused;
    s.clock.set_paused(paused, &s.model);
    if let Some(c) = &s.control {
        c.send_modify(|c| c.paused = paused);
    }
    if let SourceInfo::Replay { paused: p, .. } = &mut s.source {
        *p = paused;
    }
}

/// Ctrl-Z: give the terminal back, stop, and take it again on `fg`.
fn suspend(terminal: &mut DefaultTerminal, mouse: bool) -> io::Result<()> {
    leave(mouse);
    // SAFETY: raise() with a valid signal number has no memory-safety preconditions; the
    // process stops here until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    *terminal = enter(mouse)?;
    terminal.clear()
}
