//! Time to compute consensus and settlement of one request against committee size.
//!
//! What a block pays once all reveals are in: `consensus_scores` over the reveals and `settle`
//! over the committee, for 3 responses and committees of 5 to 100 validators.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use pallet_poq::{
	consensus::consensus_scores,
	settlement::{settle, MemberReport},
};
use poq_sim::config::Config;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Responses per request (`NodesPerRequest`).
const RESPONSES: usize = 3;

fn consensus_and_settlement(c: &mut Criterion) {
	let config = Config::default();
	let params = config.params();
	let mut group = c.benchmark_group("consensus_and_settlement");
	// Microsecond work: a few seconds per size give tight intervals and keep the run short.
	group.warm_up_time(std::time::Duration::from_secs(1));
	group.measurement_time(std::time::Duration::from_secs(3));
	for size in [5usize, 10, 20, 50, 100] {
		// Near-agreeing reveals with a few liars and unequal seats, so the median has real
		// sorting and settlement both pays and slashes.
		let mut rng = ChaCha8Rng::seed_from_u64(size as u64);
		let truth: Vec<u16> = (0..RESPONSES).map(|_| rng.random_range(2_000..=9_000)).collect();
		let reveals: Vec<(Vec<u16>, u32)> = (0..size)
			.map(|member| {
				let scores = match member % 5 {
					4 => vec![0; RESPONSES],
					_ => truth.iter().map(|q| q + rng.random_range(0..=6)).collect(),
				};
				(scores, rng.random_range(1..4))
			})
			.collect();
		group.bench_with_input(BenchmarkId::from_parameter(size), &reveals, |b, reveals| {
			b.iter(|| {
				let revealed: Vec<(&[u16], u128)> = reveals
					.iter()
					.map(|(scores, seats)| (scores.as_slice(), u128::from(*seats)))
					.collect();
				let consensus = consensus_scores(black_box(&revealed), RESPONSES);
				let members: Vec<MemberReport> = reveals
					.iter()
					.map(|(scores, seats)| MemberReport {
						committed: true,
						reveal: Some(scores),
						bond: config.bond,
						seats: *seats,
					})
					.collect();
				settle(black_box(config.fee), &consensus, &members, &params)
			})
		});
	}
	group.finish();
}

criterion_group!(benches, consensus_and_settlement);
criterion_main!(benches);
