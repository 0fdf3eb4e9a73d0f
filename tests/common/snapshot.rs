//! Snapshots compared across sources (live Redis, a recording, a replay): their
//! time-independent part, a line per allocation, user and realm.

use turntop::output::Snapshot;

/// Everything but times, rates and the endpoint label (host:port live, a file name in a replay).
pub fn comparable(s: &Snapshot) -> Vec<String> {
    let allocations = s.allocations.iter().map(|a| {
        format!(
            "{:?} {:?} {} {:?} client={:?} peer={:?} total={:?} mismatch={} {:?} {:?} {:?} \
             seeded={}",
            a.realm,
            a.user,
            a.id,
            a.state,
            a.client,
            a.peer,
            a.total,
            a.totals_mismatch,
            a.transport,
            a.remote,
            a.lifetime_s,
            a.seeded
        )
    });
    let users = s.users.iter().map(|u| {
        format!(
            "user {:?} {:?} live={} expired={} ended={} {:?} {:?}",
            u.realm,
            u.user,
            u.allocations_live,
            u.allocations_expired,
            u.allocations_ended,
            u.client,
            u.peer
        )
    });
    let realms = s.realms.iter().map(|r| {
        format!(
            "realm {:?} users={} live={} expired={} ended={} {:?} {:?}",
            r.realm,
            r.users,
            r.allocations_live,
            r.allocations_expired,
            r.allocations_ended,
            r.client,
            r.peer
        )
    });
    allocations.chain(users).chain(realms).collect()
}
