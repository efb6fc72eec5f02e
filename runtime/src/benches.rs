//! The pallets `poq-node benchmark pallet` measures (with `--features runtime-benchmarks`).

frame_benchmarking::define_benchmarks!(
	[pallet_poq, Poq]
	[pallet_balances, Balances]
);
