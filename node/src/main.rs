//! `poq-node`: the Proof of Quality node. It runs the PoQ runtime as a standalone `--dev` chain
//! (manual or instant seal, mocked relay-chain data), executes blocks with the PoQ host
//! functions registered, and on validator nodes loads the quality model that the off-chain
//! worker scores with.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod scorer;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
