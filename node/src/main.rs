//! `poq-node`: the Proof of Quality node. It runs the PoQ runtime as a standalone `--dev` chain
//! (manual or instant seal, mocked relay-chain data) or, built with the `parachain` feature, as
//! a parachain collator on a relay chain. Every node executes blocks with the PoQ host functions
//! registered; validator nodes load the quality model the off-chain worker scores with.

// `sc_cli::Error` and `sc_service::Error` are large, and every service builder this node calls
// returns them.
#![allow(clippy::result_large_err)]

mod appeal;
mod chain_spec;
mod cli;
#[cfg(feature = "parachain")]
mod collator;
mod command;
mod rpc;
mod runtime_api;
mod scorer;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
