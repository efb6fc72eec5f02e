//! An adversarial simulator of the Proof of Quality protocol.
//!
//! Plays many requests through the pallet's own pure functions, never copies of them:
//! stake-weighted draws with [`pallet_poq::selection::select_weighted`], consensus with
//! [`pallet_poq::consensus::consensus_scores`] and the payout plan with
//! [`pallet_poq::settlement::settle`]. Around them it models who does what: honest, lazy and
//! mixed inference nodes; honest, lazy, boosting, sabotaging, intermittent and colluding
//! validators ([`strategy`]), with bonds drawn from a stake distribution ([`stake`]) and answer
//! qualities from a synthetic or real score pool ([`quality`]). [`experiment`] holds the
//! measurements that `docs/economics.md` reports.

pub mod aggregate;
pub mod config;
pub mod experiment;
pub mod plot;
pub mod quality;
pub mod report;
pub mod stake;
pub mod stats;
pub mod strategy;
pub mod world;
