fn main() {
	#[cfg(feature = "std")]
	{
		// The target directory lives outside the checkout (see scripts/test.sh), so the wasm
		// builder cannot find this workspace's Cargo.lock by walking up from it: point it at the
		// workspace. Set here, not for every build script, because other wasm crates built on the
		// way (frame-benchmarking-cli's test runtime) are not in this workspace. Read at run time:
		// cargo reuses a build script compiled in a checkout at another path.
		let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
		std::env::set_var("WASM_BUILD_WORKSPACE_HINT", format!("{manifest}/.."));
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
