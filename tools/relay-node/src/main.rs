//! The relay-chain node of a local launch: polkadot's own command line, with westend-local.

fn main() {
	if let Err(e) = polkadot_cli::run() {
		eprintln!("Error: {e}");
		std::process::exit(1);
	}
}
