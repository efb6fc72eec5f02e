//! Weights of the runtime's pallets but `pallet_poq` (whose weights live in the pallet),
//! measured on this machine by `bash scripts/benchmark.sh`.

pub mod pallet_balances;
pub mod pallet_collator_selection;
pub mod pallet_collective;
pub mod pallet_preimage;
pub mod pallet_sudo;
pub mod pallet_timestamp;
pub mod pallet_whitelist;
