//! The Servers view: one row per coturn listener (an endpoint and the `local=` address its
//! clients reached), with its allocations' counts, rates, bytes and history. Per-server load
//! is what an operator balancing a fleet looks at; Enter shows that server's allocations.

use super::{ColumnSpec, c};
use crate::table::Col;

pub(super) const SERVER_COLUMNS: &[ColumnSpec] = &[
    c(Col::Endpoint, "SERVER", 22, 0, false),
    c(Col::Live, "LIVE", 5, 0, true),
    c(Col::Unconfirmed, "UNCONF", 6, 4, true),
    c(Col::Expired, "EXP", 4, 4, true),
    c(Col::Ended, "ENDED", 5, 5, true),
    c(Col::Collided, "SHARED", 6, 3, true),
    c(Col::Rate, "RATE", 9, 0, true),
    c(Col::ClientRx, "CLI RX", 9, 1, true),
    c(Col::ClientTx, "CLI TX", 9, 1, true),
    c(Col::PeerRx, "PEER RX", 9, 2, true),
    c(Col::PeerTx, "PEER TX", 9, 2, true),
    c(Col::Bytes, "BYTES", 8, 3, true),
    c(Col::ClientHistory, "CLIENT", 12, 2, false),
    c(Col::PeerHistory, "PEER", 12, 4, false),
    c(Col::LastReport, "LAST", 6, 4, true),
];
