//! The node's quality model behind the host function: loading, logging, and metrics.

use poq_model_interface::Scorer;
use poq_scorer::QualityModel;
use std::{path::Path, time::Instant};
use substrate_prometheus_endpoint::{
	exponential_buckets, register, Counter, Histogram, HistogramOpts, PrometheusError, Registry,
	U64,
};

const LOG_TARGET: &str = "poq";

/// Scores computed and how long scoring took.
#[derive(Clone)]
pub struct Metrics {
	scores: Counter<U64>,
	latency: Histogram,
}

impl Metrics {
	/// Registers `poq_scores_computed_total` and `poq_scoring_seconds`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			scores: register(
				Counter::new("poq_scores_computed_total", "Responses scored by the quality model")?,
				registry,
			)?,
			latency: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"poq_scoring_seconds",
						"Time of one call of the model (every pair a worker scores in a block)",
					)
					// 1 ms to about 16 s.
					.buckets(exponential_buckets(0.001, 2.0, 15)?),
				)?,
				registry,
			)?,
		})
	}
}

/// A loaded quality model, as the off-chain worker's host function sees it.
pub struct ModelScorer {
	model: QualityModel,
	metrics: Option<Metrics>,
}

impl ModelScorer {
	/// Loads the model in `dir`, to score on `threads` threads of its own, and logs what it is.
	pub fn load(
		dir: &Path,
		threads: usize,
		metrics: Option<Metrics>,
	) -> Result<Self, poq_scorer::Error> {
		let model = QualityModel::load(dir)?.with_threads(threads)?;
		log::info!(
			target: LOG_TARGET,
			"🧠 Quality model loaded from {}: {:?}{}, {} scoring threads, kernels on {}, digest 0x{}",
			std::path::absolute(dir).as_deref().unwrap_or(dir).display(),
			model.kind(),
			if model.judge().is_some() { " with its judge" } else { "" },
			model.threads(),
			poq_scorer::isa(),
			model.digest_hex(),
		);
		if !model.exact() {
			log::warn!(
				target: LOG_TARGET,
				"🧠 This model's scores can differ in their last units between CPUs (it computes \
				 in f32, or through a cross-encoder's head), while the chain's Tolerance wants \
				 the same bits from every validator (docs/DESIGN.md, Precision): a folder \
				 computing in int8 (precision.json) with a bi-encoder gives them."
			);
		}
		Ok(Self { model, metrics })
	}
}

impl Scorer for ModelScorer {
	fn digest(&self) -> [u8; 32] {
		self.model.digest()
	}

	fn score(&self, prompt: &[u8], responses: &[Vec<u8>]) -> Option<Vec<u16>> {
		self.score_requests(&[(prompt.to_vec(), responses.to_vec())])?.pop()
	}

	/// Every pair of every request in one call of the model, which batches them.
	fn score_requests(&self, requests: &[(Vec<u8>, Vec<Vec<u8>>)]) -> Option<Vec<Vec<u16>>> {
		// Texts come from the chain as bytes; invalid UTF-8 is scored as its lossy decoding.
		let texts: Vec<(String, Vec<String>)> = requests
			.iter()
			.map(|(prompt, responses)| {
				let lossy = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
				(lossy(prompt), responses.iter().map(|r| lossy(r)).collect())
			})
			.collect();
		let pairs: Vec<(&str, &str)> = texts
			.iter()
			.flat_map(|(prompt, responses)| responses.iter().map(|r| (prompt.as_str(), r.as_str())))
			.collect();
		if pairs.is_empty() {
			return Some(vec![Vec::new(); requests.len()]);
		}
		let started = Instant::now();
		match self.model.score(&pairs) {
			Ok(scored) => {
				let elapsed = started.elapsed();
				if let Some(metrics) = &self.metrics {
					metrics.scores.inc_by(scored.len() as u64);
					metrics.latency.observe(elapsed.as_secs_f64());
				}
				log::debug!(
					target: LOG_TARGET,
					"scored {} pairs of {} requests in {elapsed:?}",
					scored.len(),
					requests.len()
				);
				let mut scores = scored.into_iter().map(|s| s.score);
				Some(
					requests
						.iter()
						.map(|(_, responses)| scores.by_ref().take(responses.len()).collect())
						.collect(),
				)
			},
			Err(error) => {
				log::warn!(target: LOG_TARGET, "scoring failed: {error}");
				None
			},
		}
	}
}
