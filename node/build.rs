use substrate_build_script_utils::{generate_cargo_keys, rerun_if_git_head_changed};

fn main() {
	generate_cargo_keys();
	rerun_if_git_head_changed();
	build_runtime_wasm();
}

/// Builds the runtime (`../runtime`) to the wasm blob this node embeds in its chain specs and
/// executes. Here, not in the runtime's own build script: the runtime's native tests then build
/// neither the blob nor the wasm builder's wasm-opt (binaryen's C++, minutes of a cold build).
/// The node's `runtime-benchmarks` feature reaches the blob: the builder enables each runtime
/// feature whose name this crate has enabled.
fn build_runtime_wasm() {
	let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
	// Read at run time: cargo reuses a build script compiled in a checkout at another path.
	let workspace = std::path::Path::new(&manifest)
		.parent()
		.expect("the node is a crate of the workspace")
		.to_path_buf();
	// The target directory lives outside the checkout (see scripts/test.sh), so the wasm builder
	// cannot find this workspace's Cargo.lock by walking up from it: point it at the workspace.
	std::env::set_var("WASM_BUILD_WORKSPACE_HINT", &workspace);
	// The builder finds the project in `cargo metadata` by this exact path: no `..` in it.
	substrate_wasm_builder::WasmBuilder::new()
		.with_project(workspace.join("runtime").join("Cargo.toml"))
		.expect("the runtime's manifest is at runtime/Cargo.toml")
		.build();
}
