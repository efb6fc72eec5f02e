fn main() {
	// The node and its workers check each other's version and commit.
	substrate_build_script_utils::generate_cargo_keys();
	substrate_build_script_utils::rerun_if_git_head_changed();
}
