//! Trouble on purpose, so that the Problems view and the badge are alive in the demo: in turn,
//! a stuck allocation (its client vanished and coturn deletes it minutes after its lifetime
//! ran out), a hog (an upload at 20 MB/s), a busy user (a bot opening 60 allocations) and lost
//! reports (one traffic report never published: the totals disagree). Each on a user named for
//! it, everything else as coturn does.

use super::Demo;
use super::plan::{AllocPlan, EndKind, Flow, Profile, Transport};
use super::scheduler::Ev;

/// What goes wrong with an allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Trouble {
    #[default]
    None,
    /// Vanishes; coturn deletes it [`STUCK_FOR`] seconds after its lifetime ran out.
    Stuck,
    /// Moves [`HOG_FLOW`] (20 MB/s over both legs, both directions).
    Hog,
    /// Its first traffic report is lost.
    LosesAReport,
}

/// How late coturn deletes the stuck allocation.
pub(super) const STUCK_FOR: f64 = 180.0;

/// 2500 packets/s of 1000 bytes each way: 5 MB/s per leg and direction.
pub(super) const HOG_FLOW: Flow = Flow {
    up_pps: 2500.0,
    up_size: 1000.0,
    down_pps: 2500.0,
    down_size: 1000.0,
};

/// Allocations the busy user opens (the default threshold is 50).
const BOT_ALLOCATIONS: u32 = 60;

fn plan(
    transport: Transport,
    profile: Profile,
    duration: f64,
    end: EndKind,
    port: u16,
) -> AllocPlan {
    AllocPlan {
        offset: 0.0,
        transport,
        ssl: "NONE",
        cipher: "NONE",
        profile,
        duration,
        end,
        remote_port: port,
    }
}

impl Demo {
    /// The `n`-th episode; the next one follows after about `trouble_every` seconds.
    pub(super) fn trouble(&mut self, at: f64, n: u32) {
        let realm = self.data.realms.first().and_then(|r| r.name.clone());
        let remote = format!("203.0.113.{}", 200 + n % 50);
        let listener = ("10.0.0.1", remote.as_str());
        match n % 4 {
            0 => {
                let p = plan(Transport::Udp, Profile::Audio, 40.0, EndKind::Vanish, 40000);
                self.open_alloc(at, realm, "stuck-phone".into(), listener, p, Trouble::Stuck);
            }
            1 => {
                let p = plan(
                    Transport::Udp,
                    Profile::Heavy,
                    60.0,
                    EndKind::Release,
                    41000,
                );
                self.open_alloc(at, realm, "bulk-uploader".into(), listener, p, Trouble::Hog);
            }
            2 => {
                for i in 0..BOT_ALLOCATIONS {
                    let mut p = plan(
                        Transport::Tcp,
                        Profile::Idle,
                        150.0,
                        EndKind::Release,
                        42000,
                    );
                    p.offset = f64::from(i) * 0.5;
                    p.remote_port += i as u16;
                    let user = "leaky-bot".to_owned();
                    self.open_alloc(at, realm.clone(), user, listener, p, Trouble::None);
                }
            }
            _ => {
                let p = plan(
                    Transport::Udp,
                    Profile::Video,
                    90.0,
                    EndKind::Release,
                    43000,
                );
                let user = "lossy-link".into();
                self.open_alloc(at, realm, user, listener, p, Trouble::LosesAReport);
            }
        }
        let gap = self.rng.exp(self.config.trouble_every);
        self.schedule(at + gap.max(30.0), Ev::Trouble(n + 1));
    }
}
