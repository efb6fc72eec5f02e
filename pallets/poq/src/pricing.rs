//! The price of a live-request slot: a charge that follows occupancy, so that holding the slots
//! costs more the more of them are held, and more the longer (every request that ends gives its
//! slot back, and taking it again pays again).
//!
//! A request escrows its fee and gets it back in full when no node answers, so without a
//! charge one client held every slot for the transaction fees alone (about 3 UNIT for 2 048
//! slots a request lifetime) and every other client got `TooManyLiveRequests`. The slot fee is
//! taken at submission, never refunded, and handed to the runtime's `OnSlotFee`.

use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};

/// Doublings of the slot fee from an empty chain to a full one: the last slot costs
/// `2^SLOT_FEE_DOUBLINGS` times the first.
pub const SLOT_FEE_DOUBLINGS: u32 = 6;

/// What taking a live-request slot costs when `live` of `max` are taken:
/// `base × 2^(SLOT_FEE_DOUBLINGS × live / max)`, each doubling interpolated linearly, so the
/// price is continuous and never falls as slots fill. `live` beyond `max` counts as `max`;
/// saturates instead of overflowing.
pub fn slot_fee(base: u128, live: u32, max: u32) -> u128 {
	if max == 0 {
		return base;
	}
	let exponent = u64::from(SLOT_FEE_DOUBLINGS) * u64::from(live.min(max));
	let (max, whole, part) = (u64::from(max), exponent / u64::from(max), exponent % u64::from(max));
	// `whole` is at most `SLOT_FEE_DOUBLINGS`.
	let doubled = base.saturating_mul(1u128 << whole);
	multiply_by_rational_with_rounding(
		doubled,
		u128::from(max + part),
		u128::from(max),
		Rounding::Down,
	)
	.unwrap_or(u128::MAX)
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn doubles_every_sixth_of_the_slots() {
		// 2 048 slots, the runtime's: a doubling every 341⅓ slots.
		assert_eq!(slot_fee(5, 0, 2_048), 5);
		assert_eq!(slot_fee(6_000, 0, 6_000), 6_000);
		for k in 0..=SLOT_FEE_DOUBLINGS {
			assert_eq!(slot_fee(7, 1_000 * k, 6_000), 7 << k);
		}
		// Half way between two doublings, half way between their prices.
		assert_eq!(slot_fee(100, 500, 6_000), 150);
		assert_eq!(slot_fee(100, 6_000, 6_000), 6_400);
		assert_eq!(slot_fee(100, 1_000_000, 6_000), 6_400, "past full counts as full");
		assert_eq!(slot_fee(100, 3, 0), 100);
		assert_eq!(slot_fee(u128::MAX, 6_000, 6_000), u128::MAX);
	}

	proptest! {
		#[test]
		fn never_falls_as_slots_fill(base in 0u128..1 << 100, max in 1u32..10_000, live in 0u32..10_000) {
			let here = slot_fee(base, live, max);
			prop_assert!(slot_fee(base, live + 1, max) >= here);
			prop_assert!(here >= base);
			prop_assert!(here <= base << SLOT_FEE_DOUBLINGS);
		}

		#[test]
		fn grows_with_the_base(base in 0u128..1 << 100, max in 1u32..10_000, live in 0u32..10_000) {
			prop_assert!(slot_fee(base + 1, live, max) >= slot_fee(base, live, max));
		}
	}
}
