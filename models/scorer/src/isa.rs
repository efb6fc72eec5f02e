//! Which instruction set the forward pass's own kernels run on. Every choice computes the same
//! bits (the int8 sums are exact integers, and every f32 kernel does the same operations in the
//! same order, each multiply-add fused, whatever the width of the registers), so the choice is
//! only about speed: the fastest the CPU has, picked at run time, or the one `POQ_SCORER_ISA`
//! names, to measure and to test that they agree.

/// An instruction set the kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
	/// Portable Rust (`f32::mul_add` is a fused multiply-add on every target).
	Generic,
	/// AVX2 and FMA: the f32 kernels eight lanes wide, the int8 tiles by `vpmaddubsw`.
	#[cfg(target_arch = "x86_64")]
	Avx2,
	/// AVX-512: the int8 tiles by VNNI's `vpdpbusd`, attention and GELU sixteen lanes wide.
	#[cfg(target_arch = "x86_64")]
	Avx512Vnni,
	/// AVX-512 as above, the int8 products by AMX's tile unit (`tdpbusd`, 16 x 16 sums of 64
	/// products each), on CPUs that have it (Sapphire Rapids and later Xeons) and whose kernel
	/// lets the process use the tile registers.
	#[cfg(target_arch = "x86_64")]
	Amx,
}

impl Isa {
	/// Every choice this CPU runs, the portable one first, the fastest last.
	pub(crate) fn available() -> Vec<Self> {
		let mut out = vec![Self::Generic];
		#[cfg(target_arch = "x86_64")]
		if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
			out.push(Self::Avx2);
			if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vnni") {
				out.push(Self::Avx512Vnni);
				if crate::int8::amx_available() {
					out.push(Self::Amx);
				}
			}
		}
		out
	}

	/// The fastest choice this CPU runs, or the one `POQ_SCORER_ISA` names (`generic`, `avx2`,
	/// `avx512vnni`, `amx`) when the CPU runs it. Decided once per process.
	pub(crate) fn detect() -> Self {
		static CHOSEN: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
		*CHOSEN.get_or_init(|| {
			let available = Self::available();
			let wanted = std::env::var("POQ_SCORER_ISA").ok();
			available
				.iter()
				.copied()
				.find(|isa| wanted.as_deref() == Some(isa.name()))
				.unwrap_or(available[available.len() - 1])
		})
	}

	pub(crate) fn name(self) -> &'static str {
		match self {
			Self::Generic => "generic",
			#[cfg(target_arch = "x86_64")]
			Self::Avx2 => "avx2",
			#[cfg(target_arch = "x86_64")]
			Self::Avx512Vnni => "avx512vnni",
			#[cfg(target_arch = "x86_64")]
			Self::Amx => "amx",
		}
	}
}

/// The instruction set the forward pass runs on in this process (`generic`, `avx2`,
/// `avx512vnni` or `amx`): what `poq-scorer bench` and a node's log name. Every one gives the
/// same bits.
pub fn isa() -> &'static str {
	Isa::detect().name()
}
