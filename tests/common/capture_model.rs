//! The model the UI snapshot tests draw: the main real capture replayed to a fixed clock.

use std::path::PathBuf;

use turntop::capture::{self, Record};
use turntop::model::{ConnectionState, Model, ModelConfig};
use turntop::source::replay;

/// The main capture (`pubsub-capture.txt`) replayed up to t_rel 24 s, the clock at 25 s: TCP and
/// UDP allocations carrying traffic on both legs, some released and deleted, two pre-auth
/// sessions; one endpoint, connected.
pub fn main_capture_at_25s() -> (Model, f64) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1/pubsub-capture.txt");
    let recs: Vec<Record> = capture::read_file(&p).expect("capture");
    let t0 = recs[0].epoch - recs[0].t_rel;
    let upto: Vec<Record> = recs.into_iter().filter(|r| r.t_rel <= 24.0).collect();
    let mut m = Model::new(ModelConfig {
        retention: 600.0,
        history_window: 1800.0,
        ..ModelConfig::default()
    });
    let ep = m.add_endpoint("127.0.0.1:16379");
    replay::apply_all(&mut m, ep, &upto);
    m.set_connection(ep, t0 + 1.0, ConnectionState::Connected);
    (m, t0 + 25.0)
}
